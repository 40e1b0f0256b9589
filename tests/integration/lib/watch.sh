# Helpers of the cprof watch tests (sourced after common.sh): several
# programs under the preload at once, each with its own stdin FIFO (closing
# it ends the program) and its own URL, and a watch per program.
CPROF=$ROOT/build/cprof
declare -A TARGET_URL TARGET_PID TARGET_FD WATCH_PID

# Children must not hold the other programs' FIFOs open (their EOF would
# never come).
close_target_fds() {
    local fd
    for fd in "${TARGET_FD[@]}"; do
        exec {fd}>&-
    done
}

# start_target NAME CMD...: like start_preloaded, for several programs.
start_target() {
    local name=$1 fd
    shift
    mkfifo "$WORK/$name.in"
    ( close_target_fds
      exec env CPROF_ADDR=127.0.0.1:0 LD_PRELOAD="$LIB" "$@" \
        <"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" ) &
    TARGET_PID[$name]=$!
    PIDS+=("$!")
    exec {fd}>"$WORK/$name.in"
    TARGET_FD[$name]=$fd
    local url=""
    for _ in $(seq 1 200); do
        url=$(sed -n 's|^cprof: pid [0-9]* serving \(http://[^ ]*\)$|\1|p' "$WORK/$name.err" | head -n1)
        [ -n "$url" ] && break
        kill -0 "${TARGET_PID[$name]}" 2>/dev/null || { cat "$WORK/$name.err" >&2; fail "$name exited early"; }
        sleep 0.05
    done
    [ -n "$url" ] || fail "$name never printed its address"
    TARGET_URL[$name]=$url
}

# stop_target NAME: close its stdin and wait for it.
stop_target() {
    local fd=${TARGET_FD[$1]}
    exec {fd}>&-
    wait "${TARGET_PID[$1]}" 2>/dev/null || true
}

# start_watch NAME ARGS...: cprof watch on NAME's URL in the background;
# report in $WORK/NAME.report, progress in NAME.progress, exit status in
# NAME.rc, snapshots in $WORK/NAME.snaps.
start_watch() {
    local name=$1
    shift
    mkdir -p "$WORK/$name.snaps"
    ( close_target_fds
      rc=0
      "$CPROF" watch --save-dir "$WORK/$name.snaps" "$@" "${TARGET_URL[$name]}" \
          >"$WORK/$name.report" 2>"$WORK/$name.progress" || rc=$?
      echo "$rc" >"$WORK/$name.rc" ) &
    WATCH_PID[$name]=$!
}

# finish_watch NAME: wait for the watch; sets WATCH_RC to its exit status.
# (Not in $(...): a subshell cannot wait for this shell's children.)
finish_watch() {
    wait "${WATCH_PID[$1]}" 2>/dev/null || true
    WATCH_RC=$(cat "$WORK/$1.rc" 2>/dev/null || echo missing)
}

# detect_seconds NAME: seconds into the watch when a suspect first appeared.
detect_seconds() {
    sed -n 's/^watch *\([0-9]*\)s.*suspects: [1-9].*/\1/p' "$WORK/$1.progress" | head -n1
}

# Line of the first source line matching TEXT in FILE.
line_of() {
    grep -n -F "$2" "$1" | head -n1 | cut -d: -f1
}
