# A double-fork daemon under the preload on a fixed port: the grandchild
# takes the endpoint over (one line naming the process that served), serves
# its own heap, threads and CPU profiles, is the only listener, and the
# port is free again once it exits.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/daemon.sh"

port=$(free_port)
start_daemon "127.0.0.1:$port"
wait_serving
[ "$DAEMON_URL" = "http://127.0.0.1:$port/debug/pprof/" ] || fail "serving $DAEMON_URL, not port $port"
[ "$(grep -c '^cprof:' "$WORK/daemon.err")" = 1 ] ||
    { cat "$WORK/daemon.err" >&2; fail "expected one cprof line"; }
[ "$(listeners_on "$port")" = "$DAEMON_PID" ] ||
    fail "listeners on $port: '$(listeners_on "$port")', expected only $DAEMON_PID"
check_daemon_profiles
stop_daemon
[ -z "$(listeners_on "$port")" ] || fail "port $port still bound after the daemon exited"
