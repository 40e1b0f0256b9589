# The library's push agent (lib/push/): a busy program preloaded with
# CPROF_PUSH_URL and a 1 s interval pushes to a receiver that checks every
# request against Pyroscope's ingest API (method, path, query parameters,
# name{labels}, time range, content type, token, tenant); go tool pprof
# decodes every body. Each interval brings one CPU profile (samples/count,
# cpu/nanoseconds: Pyroscope's process_cpu) and one memory profile
# (alloc_*/inuse_*: memory). A /debug/pprof/profile taken while the agent
# samples works (one shared session) and a second one is still refused. The
# CPU profiles of >= 10 intervals, the exit flush's included, hold >= 95 %
# of the CPU the program's threads used from main() on: the process's
# utime+stime (getrusage at the end) less the CPU of cprof's own threads as
# the kernel counts it (the threads /proc/PID/task/*/comm names cprof-* or
# MHD-*: the agent's encoding and symbolizing, the listener; a CPU profile
# never samples them, their schedstat) and less the main thread's CPU
# before main() (the exec in the forked shell, the loader, the libraries'
# constructors: before any in-process profiler runs, ~30-50 ms of which
# cprof's constructor is ~4 ms, see BENCHMARKS.md). Printed with it: the ratio over
# the program's threads including that pre-main CPU, and the raw one over
# the whole process, and cprof's own account of its threads' CPU (each
# profile's comment), which must agree with the kernel's within 50 ms.
# /metrics counts the pushes.
source "$(dirname "$0")/lib/common.sh"
start_receiver "$WORK/recv" --auth s3cret --tenant team-a

CPROF_PUSH_URL=http://127.0.0.1:$RECV_PORT CPROF_PUSH_INTERVAL=1 CPROF_PUSH_LABELS=env=test,host=ci-1 \
    CPROF_PUSH_TOKEN=s3cret CPROF_PUSH_TENANT=team-a \
    start_preloaded busy "$HELPERS/push_busy" 12
grep -q "^cprof: pid $APP_PID pushing profiles to http://127.0.0.1:$RECV_PORT every 1 s as push_busy{env=test,host=ci-1}\$" \
    "$WORK/busy.err" || { cat "$WORK/busy.err"; fail "no start line"; }
sleep 2
# A CPU profile while the agent samples: served, and a second one refused.
curl -s -o "$WORK/profile.pb.gz" -w '%{http_code}' "$BASE/profile?seconds=3" >"$WORK/profile.code" &
prof=$!
sleep 1
code=$(curl -s -o "$WORK/busy.txt" -w '%{http_code}' "$BASE/profile?seconds=1")
[ "$code" = 500 ] && grep -q 'cpu profiling already in use' "$WORK/busy.txt" ||
    { cat "$WORK/busy.txt"; fail "a second /profile got $code"; }
code=$(curl -s -o "$WORK/hz.txt" -w '%{http_code}' "$BASE/profile?seconds=1&hz=250")
[ "$code" = 500 ] || fail "another rate than the agent's got $code"
wait $prof
[ "$(cat "$WORK/profile.code")" = 200 ] || fail "/profile during pushing: $(cat "$WORK/profile.code")"
pprof_clean -top "$WORK/profile.pb.gz" >"$WORK/profile.top"
grep -q 'Duration: 3' "$WORK/profile.top" && grep -qE ' burn_a$' "$WORK/profile.top" ||
    { cat "$WORK/profile.top"; fail "the /profile taken while pushing"; }
curl -sf "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.txt" || fail "GET /metrics"
ok=$(sed -n 's/^cprof_push_requests_total{result="ok"} \([0-9]*\)$/\1/p' "$WORK/metrics.txt")
[ "${ok:-0}" -ge 2 ] || { grep cprof_push "$WORK/metrics.txt"; fail "/metrics: pushes ok = ${ok:-none}"; }
grep -q '^cprof_push_dropped_total 0$' "$WORK/metrics.txt" || fail "/metrics: drops while the receiver is up"

finish_app || fail "push_busy exited with $?"
[ ! -e "$WORK/recv/errors" ] || { cat "$WORK/recv/errors"; fail "requests that break Pyroscope's API"; }
cpu_ns=$(sed -n 's/^cpu_ns //p' "$WORK/busy.out")
[ -n "$cpu_ns" ] || fail "no cpu_ns line"

cpu_files=()
mem=0
prev_until=0
for q in $(ls "$WORK/recv/"*.query | sort -V); do
    f=${q%.query}.pb.gz
    grep -qE '^name=push_busy\{env=test,host=ci-1\}&from=[0-9]+&until=[0-9]+&format=pprof$' "$q" ||
        { cat "$q"; fail "query $q"; }
    from=$(sed -n 's/.*&from=\([0-9]*\)&.*/\1/p' "$q")
    until=$(sed -n 's/.*&until=\([0-9]*\)&.*/\1/p' "$q")
    [ $((until - from)) -ge 1 ] && [ $((until - from)) -le 4 ] || fail "$q: range $from..$until for a 1 s interval"
    pprof_clean -raw "$f" >"$WORK/raw.txt"
    types=$(sed -n '/^Samples:/{n;p;q}' "$WORK/raw.txt")
    case "$types" in
    "samples/count cpu/nanoseconds") cpu_files+=("$f") ;;
    "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes") mem=$((mem + 1)) ;;
    *) fail "$f: sample types '$types'" ;;
    esac
done
[ "${#cpu_files[@]}" -ge 10 ] && [ "$mem" -ge 10 ] || fail "${#cpu_files[@]} CPU and $mem memory profiles, want >= 10 each"
# The memory profile's allocations are the interval's: a delta, positive,
# far below the total since start; in-use as is.
pprof_clean -top -sample_index=alloc_space "$(ls "$WORK/recv/"*.pb.gz | sort -V | sed -n 4p)" >/dev/null

pprof_clean -top -unit=ms -sample_index=cpu "${cpu_files[@]}" >"$WORK/all.top"
pushed_ms=$(sed -n 's/.*Total samples = \([0-9.]*\)ms.*/\1/p' "$WORK/all.top")
[ -n "$pushed_ms" ] || { head "$WORK/all.top"; fail "no total"; }
own_ns=$(sed -n 's/^own_ns //p' "$WORK/busy.out")
pre_ns=$(sed -n 's/^pre_main_ns //p' "$WORK/busy.out")
[ -n "$own_ns" ] && [ -n "$pre_ns" ] || fail "no own_ns/pre_main_ns line"
said_s=$(for f in "${cpu_files[@]}"; do go tool pprof -comments "$f" 2>/dev/null; done |
    sed -n 's/.*own threads (push agent.*) used \([0-9.]*\) s of CPU.*/\1/p' | awk '{s += $1} END {printf "%.3f", s}')
read -r ratio with_pre raw <<<"$(awk -v p="$pushed_ms" -v c="$cpu_ns" -v o="$own_ns" -v b="$pre_ns" \
    'BEGIN {printf "%.3f %.3f %.3f", p / ((c - o - b) / 1e6), p / ((c - o) / 1e6), p / (c / 1e6)}')"
echo "pushed ${pushed_ms} ms in ${#cpu_files[@]} CPU profiles; process ${cpu_ns} ns, of it cprof's threads" \
    "${own_ns} ns (kernel; the profiles' comments say ${said_s} s), before main ${pre_ns} ns;" \
    "of the program's threads from main on: $ratio (with their CPU before main: $with_pre; raw, the whole process: $raw)"
awk -v r="$ratio" 'BEGIN {exit !(r >= 0.95 && r <= 1.05)}' || fail "pushed CPU is $ratio of the program's threads'"
awk -v o="$own_ns" -v s="$said_s" 'BEGIN {d = o / 1e9 - s; exit !(d < 0.05 && d > -0.05)}' ||
    fail "the profiles say cprof's threads used $said_s s, the kernel ${own_ns} ns"
grep -q 'push to .* failed:' "$WORK/busy.err" && { cat "$WORK/busy.err"; fail "a push failed"; }
true
