# One CPU rate per session, and a request that names none takes the running
# one (as Go keeps the rate a profile already runs at): with the push agent
# sampling at CPROF_PUSH_HZ=25, a plain /debug/pprof/profile (go tool
# pprof's request) and a plain /trace are served at 25 Hz, a /profile that
# asks for hz=100 gets Go's 500 naming the agent's rate, and hz=25 is
# served. A whole-run file profile (CPROF_CPU_PROFILE, no CPROF_CPU_HZ)
# started with the agent takes its rate too. Without the agent a plain
# /profile is at 100 Hz (the default).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
start_receiver "$WORK/recv"

period_of() { # FILE: the CPU profile's period in ns
    "$CPROF" -raw "$1" | grep -A1 '^PeriodType: cpu nanoseconds$' | sed -n 's/^Period: //p'
}

CPROF_PUSH_URL=http://127.0.0.1:$RECV_PORT CPROF_PUSH_INTERVAL=60 CPROF_PUSH_HZ=25 \
    start_preloaded busy "$HELPERS/push_busy" 0 2
grep -q 'pushing profiles to' "$WORK/busy.err" || { cat "$WORK/busy.err"; fail "no agent"; }

code=$(curl -s -o "$WORK/plain.pb.gz" -w '%{http_code}' "$BASE/profile?seconds=1")
[ "$code" = 200 ] || { cat "$WORK/plain.pb.gz"; fail "plain /profile while the agent samples: $code"; }
[ "$(period_of "$WORK/plain.pb.gz")" = 40000000 ] ||
    fail "plain /profile: period $(period_of "$WORK/plain.pb.gz"), want the agent's 40000000 ns"
pprof_clean -top "$WORK/plain.pb.gz" >"$WORK/plain.top"
grep -qE ' burn_(a|b)$' "$WORK/plain.top" || { cat "$WORK/plain.top"; fail "plain /profile: no samples"; }

code=$(curl -s -D "$WORK/other.hdr" -o "$WORK/other.txt" -w '%{http_code}' "$BASE/profile?seconds=1&hz=100")
[ "$code" = 500 ] && grep -qi '^X-Go-Pprof: 1' "$WORK/other.hdr" &&
    grep -qF 'cpu profiling already in use (the push agent samples at 25 Hz; ask for hz=25)' "$WORK/other.txt" ||
    { cat "$WORK/other.hdr" "$WORK/other.txt"; fail "hz=100 while the agent samples at 25: $code"; }

code=$(curl -s -o "$WORK/same.pb.gz" -w '%{http_code}' "$BASE/profile?seconds=1&hz=25")
[ "$code" = 200 ] && [ "$(period_of "$WORK/same.pb.gz")" = 40000000 ] || fail "hz=25: $code"

code=$(curl -s -o "$WORK/trace.json" -w '%{http_code}' "$BASE/trace?seconds=0.5")
[ "$code" = 200 ] && grep -q '"hz":25,' "$WORK/trace.json" ||
    { head -c 600 "$WORK/trace.json"; fail "plain /trace while the agent samples: $code"; }
finish_app || fail "push_busy exited with $?"

# A whole-run file profile with no CPROF_CPU_HZ, started with the agent
# (CPROF_CPU_PROFILE and CPROF_PUSH_URL): it takes the agent's rate and
# shares its timers, and the agent still pushes CPU profiles.
start_receiver "$WORK/recv2"
env CPROF_ADDR=off LD_PRELOAD="$LIB" CPROF_CPU_PROFILE="$WORK/whole.pb.gz" \
    CPROF_PUSH_URL=http://127.0.0.1:$RECV_PORT CPROF_PUSH_INTERVAL=1 CPROF_PUSH_HZ=25 \
    "$HELPERS/push_busy" 2 1 >"$WORK/whole.out" 2>"$WORK/whole.err" || fail "push_busy with a file profile: $?"
if grep -q 'no CPU profile' "$WORK/whole.err"; then cat "$WORK/whole.err"; fail "the agent lost its CPU profile to the file's"; fi
[ "$(period_of "$WORK/whole.pb.gz")" = 40000000 ] ||
    fail "file profile: period $(period_of "$WORK/whole.pb.gz"), want the agent's 40000000 ns"
pushed_cpu=0
for f in "$WORK"/recv2/*.pb.gz; do
    [ "$(period_of "$f")" = 40000000 ] && pushed_cpu=$((pushed_cpu + 1))
done
[ "$pushed_cpu" -ge 2 ] || { ls "$WORK/recv2"; fail "with a file profile: $pushed_cpu CPU profiles pushed"; }

# No agent: a plain /profile is at the default 100 Hz.
start_preloaded alone "$HELPERS/push_busy" 0 1
code=$(curl -s -o "$WORK/alone.pb.gz" -w '%{http_code}' "$BASE/profile?seconds=1")
[ "$code" = 200 ] && [ "$(period_of "$WORK/alone.pb.gz")" = 10000000 ] ||
    fail "plain /profile without the agent: $code, period $(period_of "$WORK/alone.pb.gz")"
finish_app || fail "push_busy exited with $?"
true
