#!/bin/bash
# Fast-path cost of the interposed blocking calls (BENCHMARKS.md, "Thread
# dumps and blocking calls"): bench/blocking_calls with and without the
# preload, in alternating rounds; the best ns a call of each, and the
# difference, which is what the interposer adds to every call.
# Usage: bench/blocking_calls.sh [ROUNDS] [CALLS]
# BEFORE_LIB=/path/to/an/older/libcprof.so adds that library to every round
# (a "before ns" column: a change's cost measured in the same run).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-7}
calls=${2:-1000000} # poll and recv; 10 times as many for the bare interposer
make -s -C "$root" all >/dev/null
bin=$root/build/bench/blocking_calls
best() { sort -n | head -n1; }
before_lib=${BEFORE_LIB:-}
declare -A base preload before
for r in $(seq 1 "$rounds"); do
    base[$r]=$("$bin" -n "$calls")
    preload[$r]=$(CPROF_ADDR=127.0.0.1:0 LD_PRELOAD=$root/build/libcprof.so "$bin" -n "$calls" 2>/dev/null)
    if [ -n "$before_lib" ]; then
        before[$r]=$(CPROF_ADDR=127.0.0.1:0 LD_PRELOAD=$before_lib "$bin" -n "$calls" 2>/dev/null)
    fi
done
echo "# $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d); $calls calls a round, best of $rounds"
printf '%-22s %10s %10s %10s %8s\n' call "base ns" "preload ns" "added ns" ratio
for call in clock_nanosleep_einval poll recv; do
    b=$(for r in "${!base[@]}"; do echo "${base[$r]}"; done | sed -n "s/^$call //p" | best)
    p=$(for r in "${!preload[@]}"; do echo "${preload[$r]}"; done | sed -n "s/^$call //p" | best)
    awk -v c="$call" -v b="$b" -v p="$p" 'BEGIN { printf "%-22s %10.2f %10.2f %10.2f %7.3fx\n", c, b, p, p - b, p / b }'
done
if [ -n "$before_lib" ]; then
    printf '%-22s %10s %10s %10s\n' call "before ns" "preload ns" "change ns"
    for call in clock_nanosleep_einval poll recv; do
        o=$(for r in "${!before[@]}"; do echo "${before[$r]}"; done | sed -n "s/^$call //p" | best)
        p=$(for r in "${!preload[@]}"; do echo "${preload[$r]}"; done | sed -n "s/^$call //p" | best)
        awk -v c="$call" -v o="$o" -v p="$p" 'BEGIN { printf "%-22s %10.2f %10.2f %+10.2f\n", c, o, p, p - o }'
    done
fi
