# /debug/pprof/trace on the seed's leaky subscriber: a valid Chrome Trace
# Event document (every event checked against docs/TRACE.md's fields, the
# slices of every track nested), one more subscriber created at every tick
# with cron_tick's stack, the same threads the threads profile lists, their
# "subscribe" spans, the cron thread's state in poll; gzip when asked; Go's
# parameter handling (bad hz and too long a window are 400s, a malformed
# seconds is 1 s); one trace at a time and never beside a CPU profile; and
# `cprof trace` summarizing it.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/redis.sh"
EX=$ROOT/build/examples/leaky-subscriber
CHECK="python3 $ROOT/tests/integration/lib/trace_check.py"
start_redis

start_preloaded leaky "$EX/leaky" -p "$REDIS_PORT" -t 100
wait_for_line leaky ready

# A 2 s trace: ~20 ticks, each one subscriber.
curl -sf -D "$WORK/h.txt" -o "$WORK/t.json" "$BASE/trace?seconds=2" || fail "GET trace"
tr -d '\r' <"$WORK/h.txt" | grep -qx 'Content-Type: application/json' || { cat "$WORK/h.txt"; fail "content type"; }
tr -d '\r' <"$WORK/h.txt" | grep -qx 'Content-Disposition: attachment; filename="trace.json"' ||
    fail "content disposition"
! grep -qi '^Content-Encoding' "$WORK/h.txt" || fail "gzipped without Accept-Encoding"
$CHECK schema "$WORK/t.json" || fail "schema"

# Thread creations: each a subscriber, created by cron_tick (its stack).
$CHECK created "$WORK/t.json" >"$WORK/created.txt"
n=$(wc -l <"$WORK/created.txt")
[ "$n" -ge 12 ] && [ "$n" -le 25 ] || { cat "$WORK/created.txt"; fail "$n threads created in 2 s at 100 ms ticks"; }
bad=$(grep -vc '^[0-9]* subscriber cron_tick main' "$WORK/created.txt" || true)
[ "$bad" = 0 ] || { cat "$WORK/created.txt"; fail "creations not by cron_tick: $bad"; }
# ... and they are the threads the threads profile lists, created by cron_tick.
curl -sf -o "$WORK/dump.txt" "$BASE/threads?debug=2" || fail "threads?debug=2"
while read -r tid _; do
    grep -A1 "^thread $tid \"subscriber\" \[" "$WORK/dump.txt" >/dev/null ||
        fail "thread $tid of the trace is not a subscriber in threads?debug=2"
    awk -v t="$tid" '$1 == "thread" && $2 == t {f = 1} f && /^created by/ {print; exit}' "$WORK/dump.txt" |
        grep -q '^created by cron_tick in thread' || fail "thread $tid: not created by cron_tick in the dump"
done <"$WORK/created.txt"

# Spans: a "subscribe" span on the subscribers' tracks (the connection and
# SUBSCRIBE of each; the last tick's may still be open at the end).
spans=$($CHECK spans "$WORK/t.json" subscribe | wc -l)
[ "$spans" -ge $((n - 2)) ] || fail "$spans subscribe spans for $n subscribers"
# States: the cron thread waits in the interposed poll between ticks.
cron=$APP_PID
$CHECK states "$WORK/t.json" "$cron" | grep -qw poll || fail "cron's states: $($CHECK states "$WORK/t.json" "$cron")"
grep -q '"name":"subscribe_new_tasks"' "$WORK/t.json" ||
    grep -q '"creator_stack":\["cron_tick"' "$WORK/t.json" || fail "no symbolized frames"
grep -q '"name":"heap in use (sampled)"' "$WORK/t.json" || fail "no heap counter"
grep -q '"name":"threads","pid":[0-9]*,"tid":[0-9]*,"ts":[0-9.]*,"args":{"count":' "$WORK/t.json" ||
    fail "no thread counter"

# cprof trace: the summary names the subscribers and their creation.
"$ROOT/build/cprof" trace -speedscope "$WORK/t.speedscope.json" "$WORK/t.json" >"$WORK/summary.txt" ||
    fail "cprof trace"
head -n 8 "$WORK/summary.txt"
grep -q "^Threads: [0-9]* ($n created, 0 exited during the trace)$" "$WORK/summary.txt" ||
    fail "summary's thread line"
[ "$(grep -c '^subscriber ([0-9]*) (tid [0-9]*): created at [0-9.]* s, still running at its end' "$WORK/summary.txt")" = "$n" ] ||
    fail "summary's subscriber lines"
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d['\$schema'] == 'https://www.speedscope.app/file-format-schema.json'
assert d['profiles'] and all(p['type'] == 'evented' for p in d['profiles'])
n = len(d['shared']['frames'])
for p in d['profiles']:
    depth = 0
    for e in p['events']:
        assert 0 <= e['frame'] < n
        depth += 1 if e['type'] == 'O' else -1
        assert depth >= 0
    assert depth == 0
" "$WORK/t.speedscope.json" || fail "speedscope file"
# From the URL too (the tool fetches it).
"$ROOT/build/cprof" trace -top 0 "$BASE/trace?seconds=1" >"$WORK/summary2.txt" || fail "cprof trace URL"
grep -q '^Threads: ' "$WORK/summary2.txt" || fail "cprof trace URL summary"

# gzip when accepted.
curl -sf -H 'Accept-Encoding: gzip' -D "$WORK/hz.txt" -o "$WORK/t.json.gz" "$BASE/trace?seconds=1" ||
    fail "GET trace gzip"
tr -d '\r' <"$WORK/hz.txt" | grep -qx 'Content-Encoding: gzip' || { cat "$WORK/hz.txt"; fail "no gzip"; }
$CHECK schema "$WORK/t.json.gz" || fail "gzipped schema"

# Parameters, in Go's manner.
code() { curl -s -o "$WORK/body.txt" -w '%{http_code}' "$BASE/trace?$1"; }
[ "$(code 'hz=0')" = 400 ] && grep -q 'invalid value for "hz"' "$WORK/body.txt" || fail "hz=0"
[ "$(code 'hz=abc')" = 400 ] || fail "hz=abc"
[ "$(code 'seconds=100000')" = 400 ] && grep -q "exceeds the server's limit" "$WORK/body.txt" ||
    fail "seconds over the limit"
start=$(date +%s%N)
[ "$(code 'seconds=abc')" = 200 ] || fail "seconds=abc (Go: 1 s)"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 900 ] || fail "seconds=abc took $ms ms, not Go's default 1 s"
# Fractions, as Go's strconv.ParseFloat reads them: 0.5 is half a second
# (the document's window says so), 300.5 is over the limit (a 400 with
# X-Go-Pprof), a negative one is Go's default.
window_ns() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["otherData"]["duration_ns"])' "$1"; }
[ "$(code 'seconds=0.5')" = 200 ] || fail "seconds=0.5: $(head -c 300 "$WORK/body.txt")"
w=$(window_ns "$WORK/body.txt")
[ "$w" -ge 490000000 ] && [ "$w" -le 800000000 ] || fail "seconds=0.5: a window of $w ns"
[ "$(code 'seconds=1e-1')" = 200 ] || fail "seconds=1e-1"
w=$(window_ns "$WORK/body.txt")
[ "$w" -ge 90000000 ] && [ "$w" -le 400000000 ] || fail "seconds=1e-1: a window of $w ns"
[ "$(code 'seconds=-0.5')" = 200 ] || fail "seconds=-0.5 (Go: 1 s)"
w=$(window_ns "$WORK/body.txt")
[ "$w" -ge 990000000 ] || fail "seconds=-0.5: a window of $w ns, not Go's default 1 s"
curl -s -D "$WORK/h400.txt" -o "$WORK/body.txt" "$BASE/trace?seconds=300.5"
tr -d '\r' <"$WORK/h400.txt" | head -n1 | grep -q ' 400 ' && tr -d '\r' <"$WORK/h400.txt" | grep -qx 'X-Go-Pprof: 1' &&
    grep -q "exceeds the server's limit of 300 seconds" "$WORK/body.txt" || fail "seconds=300.5: $(cat "$WORK/h400.txt" "$WORK/body.txt")"
echo "ok fractional seconds: 0.5, 1e-1, -0.5 (1 s), 300.5 (400)"

# One at a time, and the CPU sampler is shared with /profile.
curl -s -o "$WORK/long.json" "$BASE/trace?seconds=3" &
LONG=$!
PIDS+=("$LONG")
sleep 0.5
[ "$(code 'seconds=1')" = 500 ] && grep -q 'tracing is already enabled' "$WORK/body.txt" ||
    fail "a second trace: $(cat "$WORK/body.txt")"
c=$(curl -s -o "$WORK/body.txt" -w '%{http_code}' "$BASE/profile?seconds=1")
[ "$c" = 500 ] && grep -q 'cpu profiling already in use' "$WORK/body.txt" || fail "profile during a trace: $c"
wait "$LONG" || fail "the long trace"
$CHECK schema "$WORK/long.json" || fail "the long trace's schema"
curl -s -o /dev/null "$BASE/profile?seconds=3" &
PROF=$!
PIDS+=("$PROF")
sleep 0.5
[ "$(code 'seconds=1')" = 500 ] && grep -q 'cpu profiling already in use' "$WORK/body.txt" ||
    fail "a trace during a profile: $(cat "$WORK/body.txt")"
wait "$PROF"
[ "$(code 'seconds=1')" = 200 ] || fail "a trace after both ended"
finish_app || true
echo "ok"
