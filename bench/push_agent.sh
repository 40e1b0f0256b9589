#!/bin/bash
# Push agent overhead (issue 17): bench/churn (2 threads of malloc/free
# churn) preloaded with cprof and no agent, then with the push agent sending
# to a local receiver (tests/integration/lib/pyroscope_receiver.py, which
# checks every request against Pyroscope's ingest API) at the default
# 15 s interval and at 1 s, in alternating rounds within the same run.
# The agent samples CPU continuously at 100 Hz, drains every 100 ms and
# encodes + posts two profiles per interval; churn's own getrusage (taken
# before exit, so the exit flush is not counted) covers all of it: the
# agent's thread is part of the process. Target: <= 1.005x at the default
# interval.
# Usage: bench/push_agent.sh [ROUNDS] [STEPS_PER_THREAD]   (default 5, 20M)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-5}
steps=${2:-20000000}
lib=$PWD/build/libcprof.so
churn=build/bench/churn
source bench/lib.sh
out=$(mktemp -d /tmp/cprof-push-bench.XXXXXX)
mkdir "$out/recv"
python3 tests/integration/lib/pyroscope_receiver.py "$out/recv" >"$out/recv.out" 2>&1 &
recv=$!
trap 'kill $recv 2>/dev/null; wait $recv 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 1 100); do
    port=$(sed -n 's/^ready //p' "$out/recv.out")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "receiver did not start" >&2; exit 1; }
declare -A best last
configs=(baseline agent agent_1s)
run_config() {
    case $1 in
    baseline) CPROF_ADDR=off LD_PRELOAD=$lib $churn 2 "$steps" ;;
    agent) CPROF_ADDR=off CPROF_PUSH_URL=http://127.0.0.1:$port LD_PRELOAD=$lib $churn 2 "$steps" 2>/dev/null ;;
    agent_1s) CPROF_ADDR=off CPROF_PUSH_URL=http://127.0.0.1:$port CPROF_PUSH_INTERVAL=1 \
        LD_PRELOAD=$lib $churn 2 "$steps" 2>/dev/null ;;
    esac
}
bench_alternate "$rounds" "${configs[@]}"
bench_print_ratios 10 "${configs[@]}"
echo "(2 threads x $steps malloc+free each, preloaded; best CPU time of $rounds alternating rounds;" \
    "$(ls "$out/recv" | grep -c 'pb.gz$') profiles pushed, $( [ -e "$out/recv/errors" ] && wc -l <"$out/recv/errors" || echo 0) refused)"
