# CPU profile accuracy: two threads burning CPU with a known split (one 70 %
# in f and 30 % in g, the other 100 % in h), read by go tool pprof -top:
# total profiled CPU within 5 % of the process CPU time the kernel reports,
# each function's share within 3 percentage points of the helper's own
# measurement (lib/cpu_split.sh). Over HTTP at 100 Hz, and with
# cprof_cpu_start/stop (exact window) at 1000 Hz.
#
# Durations: a share is a binomial estimate, sigma = 0.5 * sqrt(0.21 / N)
# for f's share of both threads with N samples of the mixed thread. 8 s at
# 100 Hz (N ~ 800, ~400 when the machine is loaded) keeps 3 pp at 3-4
# sigma; at 1000 Hz 4 s is plenty.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cpu_split.sh"
start_preloaded split "$HELPERS/cpu_split"
wait_for_line split ready
# Warm the symbolizer (the first reply loads debug info), so the reply's own
# work, which lies outside the profile but inside the measured window, is short.
curl -sf -o /dev/null "$BASE/profile?seconds=1" || fail "warm-up profile failed"
check_cpu_http 8 100
finish_app || fail "cpu_split exited with an error"
check_cpu_file 4 1000
echo "ok"
