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
