# Helpers of the fork-follow tests (sourced after common.sh): run the
# double-fork daemon helper under the preload and find who serves.

# free_port: a loopback TCP port nobody listens on right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# listeners_on PORT: the pids listening on 127.0.0.1:PORT, one a line.
listeners_on() {
    ss -Hltnp "sport = :$1" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u
}

# alive PID: the process exists and is not a zombie (a daemon is reparented
# to init, which may reap it late).
alive() {
    [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

# start_daemon ADDR [ENV...]: run tests/helpers/daemonize under the preload
# with CPROF_ADDR=ADDR; it daemonizes, so the command itself returns at
# once. Sets DAEMON_PID (the grandchild, from its pid file, also put in
# PIDS so the test's exit kills it); stderr in $WORK/daemon.err. fd 8
# holds the daemon's FIFO open; stop_daemon closes it.
start_daemon() {
    local addr=$1
    shift
    mkfifo "$WORK/daemon.fifo"
    exec 8<>"$WORK/daemon.fifo"
    env CPROF_ADDR="$addr" CPROF_HEAP_RATE=4096 LD_PRELOAD="$LIB" "$@" \
        "$HELPERS/daemonize" "$WORK/daemon.pid" "$WORK/daemon.fifo" </dev/null 8>&- \
        >"$WORK/daemon.out" 2>"$WORK/daemon.err" ||
        { cat "$WORK/daemon.err" >&2; fail "daemonize exited non-zero"; }
    for _ in $(seq 1 200); do
        [ -s "$WORK/daemon.pid" ] && break
        sleep 0.05
    done
    [ -s "$WORK/daemon.pid" ] || { cat "$WORK/daemon.err" >&2; fail "the daemon wrote no pid"; }
    DAEMON_PID=$(cat "$WORK/daemon.pid")
    PIDS+=("$DAEMON_PID")
}

# wait_serving: wait (up to 20 s) for the daemon's take-over line; sets
# DAEMON_URL (ends with /debug/pprof/).
wait_serving() {
    DAEMON_URL=""
    for _ in $(seq 1 200); do
        DAEMON_URL=$(sed -n "s|^cprof: pid $DAEMON_PID serving \(https\?://[^ ]*\) (daemonized from [0-9]*)\$|\1|p" \
            "$WORK/daemon.err")
        [ -n "$DAEMON_URL" ] && return 0
        alive "$DAEMON_PID" || { cat "$WORK/daemon.err" >&2; fail "the daemon died"; }
        sleep 0.1
    done
    cat "$WORK/daemon.err" >&2
    fail "the daemon never said it serves"
}

# stop_daemon: close its FIFO and wait (up to 10 s) for it to be gone.
stop_daemon() {
    exec 8>&-
    for _ in $(seq 1 100); do
        alive "$DAEMON_PID" || return 0
        sleep 0.1
    done
    fail "the daemon did not exit when its FIFO closed"
}

# curl_daemon ARGS...: curl -sf with $DAEMON_TOKEN, when set, as bearer.
curl_daemon() {
    if [ -n "${DAEMON_TOKEN:-}" ]; then
        curl -sf -H "Authorization: Bearer $DAEMON_TOKEN" "$@"
    else
        curl -sf "$@"
    fi
}

# check_daemon_profiles: cmdline, heap (known site), threads, a short CPU
# profile, all from the daemon's pid through $DAEMON_URL.
check_daemon_profiles() {
    curl_daemon "${DAEMON_URL}cmdline" | tr '\0' ' ' | grep -q "daemonize $WORK/daemon.pid" ||
        fail "/cmdline is not the daemon's"
    curl_daemon -o "$WORK/heap.pb.gz" "${DAEMON_URL}heap" || fail "/heap failed"
    pprof_clean -top -sample_index=inuse_space "$WORK/heap.pb.gz" >"$WORK/heap.top"
    grep -q daemon_keeps_blocks "$WORK/heap.top" ||
        { cat "$WORK/heap.top" >&2; fail "heap profile lacks daemon_keeps_blocks"; }
    ! grep -Eq ' (start_watcher|take_over|open_listener)$' "$WORK/heap.top" ||
        fail "the take-over's own allocations are in the heap profile"
    curl_daemon "${DAEMON_URL}threads?debug=1" >"$WORK/threads.txt" || fail "/threads failed"
    grep -q daemon_worker "$WORK/threads.txt" ||
        { cat "$WORK/threads.txt" >&2; fail "threads profile lacks the daemon's thread"; }
    grep -q '"cprof":"internal"' "$WORK/threads.txt" ||
        { cat "$WORK/threads.txt" >&2; fail "the new listener's threads are not marked cprof internal"; }
    curl_daemon -o "$WORK/cpu.pb.gz" "${DAEMON_URL}profile?seconds=1" || fail "/profile failed"
    pprof_clean -top "$WORK/cpu.pb.gz" >/dev/null
}
