#!/bin/bash
# Trace overhead (BENCHMARKS.md "Trace", issue 16's target: a 5 s trace at
# 100 Hz on 100 threads costs <= 2 % CPU): bench/cpu_burn with 100 threads
# under the preload, alternating rounds without a trace and with
# /debug/pprof/trace?seconds=5&hz=100 taken from its start, in the same run.
# The work is first calibrated so that a run lasts about 10 s of wall time
# on this machine now (a loaded machine stretches it), so the 5 s trace
# fits in each traced run. Both configurations first take a 1 s trace
# (warm-up: the symbolizer loads the binaries' debug info once per
# process), so the difference is what one more 5 s trace costs. A run
# whose trace did not complete is left out.
# Prints each configuration's best process CPU time (getrusage: every
# thread, cprof's own included), the ratio, and from the trace itself the
# CPU cprof's threads used during it (otherData.profiler_cpu_ns: collecting,
# symbolizing and writing the JSON) and its size.
# Usage: bench/trace_overhead.sh [ROUNDS] [WORK_ROUNDS]
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-3}
work=${2:-0} # 0: calibrate
make -s all >/dev/null
lib=$PWD/build/libcprof.so
burn=$PWD/build/bench/cpu_burn
out=$(mktemp -d /tmp/cprof-trace-bench.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    rm -rf "$out"
}
trap cleanup EXIT

run() { # MODE ROUND -> "cpu S s, wall S s" line
    local mode=$1 r=$2 err=$out/$1.$2.err port=""
    CPROF_ADDR=127.0.0.1:0 CPROF_HEAP_RATE=0 LD_PRELOAD=$lib "$burn" 100 "$work" \
        >"$out/$mode.$r.out" 2>"$err" &
    local pid=$!
    pids+=("$pid")
    for _ in $(seq 1 200); do
        port=$(sed -n 's|^cprof: pid [0-9]* serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$err" | head -n1)
        [ -n "$port" ] && break
        sleep 0.01
    done
    local ok=1
    curl -sf -o /dev/null "http://127.0.0.1:$port/debug/pprof/trace?seconds=1&hz=100" || ok=0
    if [ "$mode" = trace ]; then
        curl -sf -o "$out/trace.$r.json" "http://127.0.0.1:$port/debug/pprof/trace?seconds=5&hz=100" ||
            ok=0
    fi
    wait "$pid"
    [ "$ok" = 1 ] && cat "$out/$mode.$r.out" || echo "incomplete: the run ended before its trace" >&2
}

if [ "$work" = 0 ]; then
    w=$(CPROF_ADDR=off CPROF_HEAP_RATE=0 LD_PRELOAD=$lib "$burn" 100 400 | sed -n 's/.*wall \([0-9.]*\) s.*/\1/p')
    work=$(awk -v w="$w" 'BEGIN { n = int(400 * 10 / w); print n < 100 ? 100 : n }')
fi
echo "# $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d); cpu_burn 100 threads x $work rounds, best of $rounds"
for r in $(seq 1 "$rounds"); do
    run base "$r" | sed 's/^/base /' >>"$out/all.txt"
    run trace "$r" | sed 's/^/trace /' >>"$out/all.txt"
done
cat "$out/all.txt"
b=$(awk '$1 == "base" {print $3}' "$out/all.txt" | sort -n | head -n1)
t=$(awk '$1 == "trace" {print $3}' "$out/all.txt" | sort -n | head -n1)
awk -v b="$b" -v t="$t" 'BEGIN { printf "best cpu: warm-up only %.3f s, warm-up and a 5 s trace %.3f s: %.4fx (%+.2f %%)\n", b, t, t / b, (t / b - 1) * 100 }'
awk '$1 == "base" {b += $3; nb++} $1 == "trace" {t += $3; nt++}
     END { if (nb && nt) printf "mean cpu: %.3f s, %.3f s: %.4fx\n", b / nb, t / nt, (t / nt) / (b / nb) }' "$out/all.txt"
for f in "$out"/trace.*.json; do
    python3 - "$f" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o = d["otherData"]
x = sum(1 for e in d["traceEvents"] if e["ph"] == "X")
print("trace %s: %.2f s, %d events (%d slices), %.1f MiB, cprof's threads %.3f s CPU, %d samples lost"
      % (sys.argv[1].rsplit("/", 1)[1], o["duration_ns"] / 1e9, len(d["traceEvents"]), x,
         len(open(sys.argv[1], "rb").read()) / 1048576.0, o["profiler_cpu_ns"] / 1e9, o["lost_samples"]))
PY
done
