# A double-fork daemon under the preload with port 0: the parent announces
# its port, the daemon a fresh one of its own, which serves its profiles
# with the settings the library started with (here a bearer token).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/daemon.sh"

DAEMON_TOKEN=daemon-secret-token
start_daemon 127.0.0.1:0 CPROF_TOKEN="$DAEMON_TOKEN"
wait_serving
first=$(served_port "$WORK/daemon.err")
[ -n "$first" ] || { cat "$WORK/daemon.err" >&2; fail "the parent did not announce its port"; }
port=$(echo "$DAEMON_URL" | sed -n 's|^http://127.0.0.1:\([0-9]*\)/debug/pprof/$|\1|p')
[ -n "$port" ] && [ "$port" != 0 ] || fail "bad daemon URL $DAEMON_URL"
[ "$(grep -c '^cprof:' "$WORK/daemon.err")" = 2 ] ||
    { cat "$WORK/daemon.err" >&2; fail "expected two cprof lines (parent, daemon)"; }
[ "$(listeners_on "$port")" = "$DAEMON_PID" ] || fail "the daemon is not the only listener on $port"
code=$(curl -s -o /dev/null -w '%{http_code}' "${DAEMON_URL}heap")
[ "$code" = 401 ] || fail "the daemon serves without its token ($code)"
check_daemon_profiles
stop_daemon
