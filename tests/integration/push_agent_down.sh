# The push agent when Pyroscope is down: a receiver takes the first pushes,
# is stopped for 10 s (ten 1 s intervals: twenty profiles for a queue of
# eight), then started again on the same port. Meanwhile the host's RSS
# stays flat, /metrics shows the queue at its bound and the drops, and
# stderr gets exactly one line for the failure; once the receiver is back
# the queue drains (no request breaks the API) and one recovery line says
# how many attempts failed. At exit with the receiver down again and pushing
# failing, the host's exit does not wait for it (under 1.5 s, not the 2 s flush).
source "$(dirname "$0")/lib/common.sh"
start_receiver "$WORK/recv"
CPROF_PUSH_URL=http://127.0.0.1:$RECV_PORT CPROF_PUSH_INTERVAL=1 start_preloaded busy "$HELPERS/push_busy" 0 1
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$APP_PID/status"; }
pushed() { ls "$WORK/recv/" | grep -c '\.pb\.gz$' || true; }
for _ in $(seq 1 100); do [ "$(pushed)" -ge 4 ] && break; sleep 0.1; done
[ "$(pushed)" -ge 4 ] || fail "no pushes before the outage"
kill "$RECV_PID"
wait "$RECV_PID" 2>/dev/null || true
before=$(pushed)
rss0=$(rss)
max=$rss0
for _ in $(seq 1 10); do
    sleep 1
    r=$(rss)
    [ "$r" -gt "$max" ] && max=$r
done
curl -sf "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.txt" || fail "GET /metrics"
grep cprof_push "$WORK/metrics.txt"
queued=$(sed -n 's/^cprof_push_queued \([0-9]*\)$/\1/p' "$WORK/metrics.txt")
dropped=$(sed -n 's/^cprof_push_dropped_total \([0-9]*\)$/\1/p' "$WORK/metrics.txt")
failed=$(sed -n 's/^cprof_push_requests_total{result="failed"} \([0-9]*\)$/\1/p' "$WORK/metrics.txt")
echo "RSS ${rss0} kB at the outage, at most ${max} kB during it; queued $queued, dropped $dropped, failed $failed"
[ "$queued" -le 8 ] && [ "$dropped" -ge 4 ] && [ "$failed" -ge 2 ] || fail "queue bound / drops / failures"
[ $((max - rss0)) -le 2048 ] || fail "RSS grew by $((max - rss0)) kB while the receiver was down"
[ "$(grep -c 'push to .* failed' "$WORK/busy.err")" = 1 ] || { cat "$WORK/busy.err"; fail "want one failure line"; }

start_receiver "$WORK/recv" --port "$RECV_PORT"
for _ in $(seq 1 300); do grep -q 'works again' "$WORK/busy.err" && break; sleep 0.1; done
grep -qE "^cprof: push to http://127.0.0.1:$RECV_PORT works again \([0-9]+ attempts failed, [0-9]+ profiles dropped meanwhile\)\$" \
    "$WORK/busy.err" || { cat "$WORK/busy.err"; fail "no recovery line"; }
for _ in $(seq 1 50); do [ "$(pushed)" -ge $((before + 8)) ] && break; sleep 0.1; done
[ "$(pushed)" -ge $((before + 8)) ] || fail "the queue did not drain after the outage ($before, now $(pushed))"
[ ! -e "$WORK/recv/errors" ] || { cat "$WORK/recv/errors"; fail "requests that break Pyroscope's API"; }
[ "$(grep -c 'push to .* failed:' "$WORK/busy.err")" = 1 ] && [ "$(grep -c 'works again' "$WORK/busy.err")" = 1 ] ||
    { cat "$WORK/busy.err"; fail "one failure line and one recovery line"; }

# Exit while the receiver is down: bounded.
kill "$RECV_PID"
wait "$RECV_PID" 2>/dev/null || true
for _ in $(seq 1 50); do [ "$(grep -c 'push to .* failed:' "$WORK/busy.err")" = 2 ] && break; sleep 0.1; done
[ "$(grep -c 'push to .* failed:' "$WORK/busy.err")" = 2 ] || { cat "$WORK/busy.err"; fail "no second failure line"; }
t0=$(date +%s%N)
finish_app || fail "push_busy exited with $?"
took=$((($(date +%s%N) - t0) / 1000000))
echo "exit took $took ms with the receiver down"
[ "$took" -lt 1500 ] || fail "exit took $took ms"
