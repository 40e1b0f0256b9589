# CPROF_FOLLOW_FORK=off keeps the pre-follow behaviour: a daemonized
# grandchild has no listener and nobody serves once the parent exited.
# A bad value says so in one line and the default (auto) is used.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/daemon.sh"

port=$(free_port)
start_daemon "127.0.0.1:$port" CPROF_FOLLOW_FORK=off
sleep 2 # longer than a take-over would need
alive "$DAEMON_PID" || fail "the daemon died"
[ -z "$(listeners_on "$port")" ] || fail "off: someone listens on $port"
! curl -sf -o /dev/null "http://127.0.0.1:$port/debug/pprof/" || fail "off: the endpoint answers"
# Today's line only (from the intermediate child, if it allocated before
# forking again): never a take-over.
! grep '^cprof:' "$WORK/daemon.err" | grep -v ') has no HTTP listener; exec gives a child its own$' ||
    fail "off: unexpected cprof lines"
stop_daemon
rm -f "$WORK/daemon.fifo" "$WORK/daemon.pid"

port=$(free_port)
start_daemon "127.0.0.1:$port" CPROF_FOLLOW_FORK=sometimes
wait_serving
grep -qx 'cprof: CPROF_FOLLOW_FORK="sometimes" is not auto or off; using auto' "$WORK/daemon.err" ||
    { cat "$WORK/daemon.err" >&2; fail "no line for the bad value"; }
[ "$(grep -c '^cprof:' "$WORK/daemon.err")" = 2 ] ||
    { cat "$WORK/daemon.err" >&2; fail "expected two cprof lines (bad value, serving)"; }
curl -sf "${DAEMON_URL}cmdline" | tr '\0' ' ' | grep -q daemonize || fail "bad value: the daemon does not serve"
stop_daemon
