# CPU profile accuracy: two threads burning CPU with a known split (one 70 %
# in f and 30 % in g, the other 100 % in h), profiled over HTTP at 100 Hz
# and at 1000 Hz and read by go tool pprof -top: total profiled CPU within
# 5 % of the process CPU time /proc reports, each function's share within
# 3 percentage points of the helper's own measurement (lib/cpu_split.sh).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cpu_split.sh"
start_preloaded split "$HELPERS/cpu_split"
wait_for_line split ready
# Warm the symbolizer (the first reply loads debug info), so the reply's own
# work, which lies outside the profile but inside the measured window, is short.
curl -sf -o /dev/null "$BASE/profile?seconds=1" || fail "warm-up profile failed"
check_cpu_split 5 100
check_cpu_split 3 1000
finish_app || fail "cpu_split exited with an error"
echo "ok"
