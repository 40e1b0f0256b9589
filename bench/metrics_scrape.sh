#!/bin/bash
# The cost of a /metrics scrape with 1 and 1,000 threads (BENCHMARKS.md,
# "Prometheus metrics"): bench/threads_dump -m under the preload, threads
# parked in read() from 16 creator functions. Prints the client's time per
# GET of /metrics next to /debug/pprof/cmdline (the HTTP baseline) and the
# library's own time per scrape. Target: <= 1 ms at 1,000 threads.
# Usage: bench/metrics_scrape.sh [REPEATS] [THREAD_COUNTS...]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
repeats=${1:-200}
shift || true
counts=${*:-1 1000}
make -s -C "$root" all >/dev/null
echo "# $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d)"
first=1
for n in $counts; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    out=$(CPROF_ADDR=127.0.0.1:$port LD_PRELOAD=$root/build/libcprof.so \
        "$root/build/bench/threads_dump" -m -n "$n" -p "$port" -r "$repeats")
    if [ $first = 1 ]; then echo "$out"; first=0; else echo "$out" | tail -n +2; fi
done
