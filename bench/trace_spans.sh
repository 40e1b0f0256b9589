#!/bin/bash
# Spans and events (BENCHMARKS.md "Trace"): bench/trace_spans under the
# preload, ns a call with no trace running (one relaxed load; target <= 5 ns)
# and while a trace runs, next to an empty function call in the same run.
# Usage: bench/trace_spans.sh [ROUNDS] [CALLS]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$root" all >/dev/null
echo "# $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d)"
CPROF_ADDR=off CPROF_HEAP_RATE=0 LD_PRELOAD=$root/build/libcprof.so \
    "$root/build/bench/trace_spans" "${1:-7}" "${2:-10000000}"
