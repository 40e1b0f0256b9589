# Helpers of the process-tree tests (sourced after common.sh).

# cpu_naming BASE SECONDS REGEX PID...: the CPU profile of every PID over the
# same SECONDS, fetched at once through BASE's ?pid=; sets NAMED to a pid
# whose profile (go tool pprof -top) has a function matching REGEX, and
# fails when none has.
cpu_naming() {
    local base=$1 secs=$2 re=$3 p fetches=()
    shift 3
    for p in "$@"; do
        curl -sf -o "$WORK/cpu.$p.pb.gz" "$base/profile?seconds=$secs&pid=$p" &
        fetches+=($!)
    done
    wait "${fetches[@]}" || true
    NAMED=""
    for p in "$@"; do
        [ -s "$WORK/cpu.$p.pb.gz" ] || fail "no CPU profile from $p"
        pprof_clean -top -nodecount=1000 "$WORK/cpu.$p.pb.gz" >"$WORK/cpu.$p.top"
        grep -Eq " ($re)\$" "$WORK/cpu.$p.top" && NAMED=$p
    done
    [ -n "$NAMED" ] || { cat "$WORK/cpu.$p.top"; fail "no CPU profile of $* names $re"; }
}

# wait_socket PID [SECONDS]: wait (5 s by default) for PID's Unix socket in
# the test's runtime directory; 0 once it exists, 1 if it never came.
wait_socket() {
    for _ in $(seq 1 $((${2:-5} * 20))); do
        [ -S "$XDG_RUNTIME_DIR/cprof/$1.sock" ] && return 0
        sleep 0.05
    done
    return 1
}

# start_tree NAME: prefork idle under the preload (extra environment in
# front: CPROF_SYMBOLIZE=off start_tree ...); sets WORKERS.
start_tree() {
    local name=$1
    CPROF_HEAP_RATE=1 start_preloaded "$name" "$HELPERS/prefork" idle
    wait_for_line "$name" ready 60
    WORKERS=$(sed -n 's/^worker \([0-9]*\)$/\1/p' "$WORK/$name.out")
    for w in $WORKERS; do
        wait_socket "$w" || true
    done
    sleep 0.3 # the workers' fixed blocks are allocated before they pause
}
