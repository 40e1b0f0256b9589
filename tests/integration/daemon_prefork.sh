# A pre-fork server under the preload (a master that stays and forks 3
# workers that keep allocating): the master keeps the endpoint, no worker
# ever binds, and with CPROF_VERBOSE=1 each worker says once that it has no
# listener — nothing else on stderr. (Quiet by default: procs_program.sh.)
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/daemon.sh"

CPROF_VERBOSE=1 start_preloaded prefork "$HELPERS/prefork"
wait_for_line prefork ready 60
workers=$(sed -n 's/^worker \([0-9]*\)$/\1/p' "$WORK/prefork.out")
[ "$(echo "$workers" | wc -l)" = 3 ] || fail "expected 3 workers"
for _ in $(seq 1 300); do
    [ "$(grep -c 'has no HTTP listener' "$WORK/prefork.err")" -ge 3 ] && break
    sleep 0.1
done
for w in $workers; do
    grep -qx "cprof: pid $w (forked from $APP_PID) has no HTTP listener; exec gives a child its own" \
        "$WORK/prefork.err" || { cat "$WORK/prefork.err" >&2; fail "worker $w did not say it has no listener"; }
done
# Past the workers' watch window (10 s after their fork): still no worker
# listens anywhere, and the master still serves.
sleep 11
for w in $workers; do
    kill -0 "$w" 2>/dev/null || fail "worker $w died"
    ! ss -Hltnp | grep -q "pid=$w," || fail "worker $w listens: $(ss -Hltnp | grep "pid=$w,")"
done
[ "$(listeners_on "$PORT")" = "$APP_PID" ] || fail "the master is not the only listener on $PORT"
curl -sf "$BASE/cmdline" | tr '\0' ' ' | grep -q prefork || fail "the master does not serve"
[ "$(grep -v ' serving unix:' "$WORK/prefork.err" | grep -c '^cprof:')" = 4 ] ||
    { cat "$WORK/prefork.err" >&2; fail "expected 4 cprof lines (master + 3 workers)"; }
finish_app || fail "prefork exited non-zero"
