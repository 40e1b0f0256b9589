#!/bin/bash
# Cost of cprof_label_set (BENCHMARKS.md, "Labels"): bench/labels under the
# preload, ROUNDS runs, the best CPU ns a call of each case and its ratio
# to an empty call through a function pointer measured in the same run.
# Usage: bench/labels.sh [ROUNDS] [CALLS]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-7}
calls=${2:-20000000}
make -s -C "$root" all >/dev/null
bin=$root/build/bench/labels
declare -A best
for _ in $(seq 1 "$rounds"); do
    while read -r name ns; do
        if [ -z "${best[$name]:-}" ] || awk -v a="$ns" -v b="${best[$name]}" 'BEGIN {exit !(a < b)}'; then
            best[$name]=$ns
        fi
    done < <(env CPROF_ADDR=off CPROF_SOCKET=off LD_PRELOAD="$root/build/libcprof.so" "$bin" -n "$calls")
done
echo "# $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d); best of $rounds rounds of $calls calls"
printf '%-10s %8s %8s\n' case ns ratio
for c in set set_clear empty; do
    awk -v c="$c" -v t="${best[$c]}" -v b="${best[empty]}" 'BEGIN {printf "%-10s %8.2f %7.2fx\n", c, t, t / b}'
done
