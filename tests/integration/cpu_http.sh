# /debug/pprof/profile over HTTP: Go's headers, parameter handling (Go's
# fallback for seconds, 400s with a reason for out-of-range values), one
# profile at a time (Go's 500), a client that hangs up ends the profile at
# once, the index lists it, and a program with its own SIGPROF handler is
# refused rather than robbed.
source "$(dirname "$0")/lib/common.sh"
start_preloaded split "$HELPERS/cpu_split"
wait_for_line split ready

# expect STATUS BODY URL: the status and the one-line body of a reply.
expect() {
    local want=$1 body=$2 url=$3 got
    got=$(curl -s -o "$WORK/body" -w '%{http_code}' "$url")
    [ "$got" = "$want" ] || fail "$url: status $got, want $want ($(cat "$WORK/body"))"
    [ -z "$body" ] || [ "$(cat "$WORK/body")" = "$body" ] ||
        fail "$url: body '$(cat "$WORK/body")', want '$body'"
}

curl -s -D "$WORK/headers" -o "$WORK/p.pb.gz" "$BASE/profile?seconds=1&hz=200"
grep -qi '^Content-Type: application/octet-stream' "$WORK/headers" || fail "content type"
grep -qi '^Content-Disposition: attachment; filename="profile"' "$WORK/headers" || fail "disposition"
pprof_clean -raw "$WORK/p.pb.gz" >"$WORK/raw.txt"
grep -q '^PeriodType: cpu nanoseconds' "$WORK/raw.txt" || fail "period type"
grep -q '^Period: 5000000' "$WORK/raw.txt" || fail "period at 200 Hz"
grep -q 'samples/count cpu/nanoseconds' "$WORK/raw.txt" || fail "sample types"

# Go falls back to 30 s for a malformed or non-positive seconds: shown by a
# concurrent request being refused while that profile runs.
for bad in abc 0 -3; do
    curl -s -o /dev/null --max-time 2 "$BASE/profile?seconds=$bad" &
    slow=$!
    sleep 1.2
    expect 500 "Could not enable CPU profiling: cpu profiling already in use" "$BASE/profile"
    wait "$slow" || true
    sleep 0.3
done
expect 400 'invalid value for "hz" - must be an integer from 1 to 5000' "$BASE/profile?hz=0"
expect 400 'invalid value for "hz" - must be an integer from 1 to 5000' "$BASE/profile?hz=100000"
expect 400 'invalid value for "hz" - must be an integer from 1 to 5000' "$BASE/profile?hz=1x"
expect 400 "profile duration exceeds the server's limit of 300 seconds" "$BASE/profile?seconds=301"

# One at a time; a client that hangs up frees the profiler within ~100 ms.
curl -s -o /dev/null --max-time 2 "$BASE/profile?seconds=20" &
hung=$!
# Under load the background request may take a moment to begin: wait for it.
for _ in $(seq 1 30); do
    curl -s "$BASE/metrics" | grep -q '^cprof_cpu_profile_active 1' && break
    sleep 0.05
done
expect 500 "Could not enable CPU profiling: cpu profiling already in use" "$BASE/profile?seconds=1"
wait "$hung" || true
sleep 0.3
start=$(date +%s%N)
expect 200 "" "$BASE/profile?seconds=1"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed_ms" -lt 5000 ] || fail "the profile after a hang-up took ${elapsed_ms} ms"

curl -s "$BASE/" | grep -q "<a href='profile'>profile</a>" || fail "index does not link profile"
# Only our timers' signals count (si_code, token): a SIGPROF from outside,
# during a profile or after one, is neither a sample nor fatal.
curl -s -o "$WORK/kill.pb.gz" "$BASE/profile?seconds=1" &
req=$!
sleep 0.3
kill -PROF "$APP_PID"
wait "$req" || fail "profile request during an outside SIGPROF"
kill -PROF "$APP_PID"
sleep 0.2
kill -0 "$APP_PID" || fail "an outside SIGPROF killed the program"
pprof_clean -top "$WORK/kill.pb.gz" >/dev/null
finish_app || fail "cpu_split exited with an error"

# The program's own SIGPROF handler is never taken.
start_preloaded own "$HELPERS/cpu_split" own-sigprof
wait_for_line own ready
expect 500 "" "$BASE/profile?seconds=1"
grep -q "has the program's own handler; set CPROF_CPU_SIGNAL" "$WORK/body" ||
    fail "no reason for the refusal: $(cat "$WORK/body")"
CPROF_CPU_SIGNAL=SIGVTALRM start_preloaded other "$HELPERS/cpu_split" own-sigprof
wait_for_line other ready
expect 200 "" "$BASE/profile?seconds=1"

# A thread that blocks every signal cannot be sampled: the profile says so
# (the count may include a thread caught while being created: glibc starts
# new threads with every signal blocked).
exec 9>&-
start_preloaded blocked "$HELPERS/threads_signals" blocked
wait_for_line blocked ready
curl -sf -o "$WORK/blocked.pb.gz" "$BASE/profile?seconds=1" || fail "profile with a blocking thread"
pprof_clean -comments "$WORK/blocked.pb.gz" >"$WORK/comments.txt"
grep -qE "cprof: [1-9][0-9]* thread\(s\) blocked signal $(kill -l PROF) when the profile began" \
    "$WORK/comments.txt" || fail "no comment on the blocking thread: $(cat "$WORK/comments.txt")"
echo ok
