#!/bin/bash
# Cost of the mutex profile's lock hooks (BENCHMARKS.md, "Mutex profile"):
# bench/mutex_lock with and without the preload, in alternating rounds, the
# best ns a lock/unlock pair of each (wall time of 2 threads / pairs), and
# the ratio. Uncontended: each thread its own mutex (the fast path). Then
# contended (2 threads, one mutex), plain and preloaded at
# CPROF_MUTEX_RATE=0, the default (10) and 1.
# Then the block profile's sem_wait on a semaphore that is free (post then
# wait), plain and preloaded at CPROF_BLOCK_RATE=0 and the default.
# Usage: bench/mutex_lock.sh [ROUNDS] [PAIRS] [CONTENDED_PAIRS] [SEM_PAIRS]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
pairs=${2:-100000000}
cpairs=${3:-2000000}
spairs=${4:-20000000}
make -s -C "$root" all >/dev/null
bin=$root/build/bench/mutex_lock
pre() { env CPROF_ADDR=off CPROF_SOCKET=off LD_PRELOAD="$root/build/libcprof.so" "$@" 2>/dev/null; }
best() { sort -n | head -n1; }
declare -a base preload c_base c_off c_def c_one s_base s_off s_def
for r in $(seq 1 "$rounds"); do
    base+=("$("$bin" -n "$pairs" | cut -d' ' -f2)")
    preload+=("$(pre "$bin" -n "$pairs" | cut -d' ' -f2)")
    c_base+=("$("$bin" -c -n "$cpairs" | cut -d' ' -f2)")
    c_off+=("$(CPROF_MUTEX_RATE=0 pre "$bin" -c -n "$cpairs" | cut -d' ' -f2)")
    c_def+=("$(pre "$bin" -c -n "$cpairs" | cut -d' ' -f2)")
    c_one+=("$(CPROF_MUTEX_RATE=1 pre "$bin" -c -n "$cpairs" | cut -d' ' -f2)")
    s_base+=("$("$bin" -s -n "$spairs" | cut -d' ' -f2)")
    s_off+=("$(CPROF_BLOCK_RATE=0 pre "$bin" -s -n "$spairs" | cut -d' ' -f2)")
    s_def+=("$(pre "$bin" -s -n "$spairs" | cut -d' ' -f2)")
done
echo "# $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d); best of $rounds alternating rounds"
row() {
    local name=$1 b=$2 p=$3
    awk -v c="$name" -v b="$b" -v p="$p" 'BEGIN { printf "%-34s %10.2f %10.2f %8.3fx\n", c, b, p, p / b }'
}
printf '%-34s %10s %10s %9s\n' case "plain ns" "preload ns" ratio
b=$(printf '%s\n' "${base[@]}" | best)
row "uncontended, 2 x $pairs pairs" "$b" "$(printf '%s\n' "${preload[@]}" | best)"
b=$(printf '%s\n' "${c_base[@]}" | best)
row "contended, RATE=0, $cpairs pairs" "$b" "$(printf '%s\n' "${c_off[@]}" | best)"
row "contended, default rate (10)" "$b" "$(printf '%s\n' "${c_def[@]}" | best)"
row "contended, RATE=1" "$b" "$(printf '%s\n' "${c_one[@]}" | best)"
b=$(printf '%s\n' "${s_base[@]}" | best)
row "sem post+wait, BLOCK_RATE=0, $spairs" "$b" "$(printf '%s\n' "${s_off[@]}" | best)"
row "sem post+wait, default block rate" "$b" "$(printf '%s\n' "${s_def[@]}" | best)"
