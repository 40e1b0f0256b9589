#!/bin/bash
# Thread dump time with 1,000 and 10,000 threads (BENCHMARKS.md, "Threads
# dump"): bench/threads_dump under the preload, asking its own
# /debug/pprof/threads at debug=0, 1 and 2. Targets: <= 50 ms a dump with
# 1,000 threads, <= 1 s with 10,000.
# PARK=sleep parks the threads in sleep() (taken without a signal, from
# the call site the interposer saved) instead of read().
# METRICS=1 times /metrics instead (BENCHMARKS.md, "Prometheus metrics";
# target <= 1 ms at 1,000 threads): threads from 16 creator functions, the
# client's time next to /debug/pprof/cmdline (the HTTP baseline) and the
# library's own time per scrape: METRICS=1 bench/threads_dump.sh 300 1 1000
# Usage: [PARK=sleep] [METRICS=1] bench/threads_dump.sh [REPEATS] [THREAD_COUNTS...]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
repeats=${1:-10}
shift || true
counts=${*:-1000 10000}
make -s -C "$root" all >/dev/null
maps=$(cat /proc/sys/vm/max_map_count)
for n in $counts; do
    # each thread is two mappings (stack and guard page)
    if [ "$maps" -lt $((2 * n + 4096)) ]; then
        echo "vm.max_map_count=$maps is too low for $n threads (sysctl -w vm.max_map_count=$((2 * n + 4096)))" >&2
        exit 1
    fi
done
echo "# $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d)"
first=1
for n in $counts; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    out=$(CPROF_ADDR=127.0.0.1:$port LD_PRELOAD=$root/build/libcprof.so \
        "$root/build/bench/threads_dump" -n "$n" -p "$port" -r "$repeats" -w "${PARK:-read}" ${METRICS:+-m})
    if [ $first = 1 ]; then echo "$out"; first=0; else echo "$out" | tail -n +2; fi
done
