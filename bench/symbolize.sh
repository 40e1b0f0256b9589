#!/bin/bash
# Symbolization cost (issue 13): a generated program of N functions in ONE
# compilation unit (bench/gen_many_funcs.py, gcc -O1 -g, built here and kept
# in build/bench/), each with an inlined helper that mallocs, preloaded with
# CPROF_HEAP_RATE=4096 so practically every function's site is sampled.
# /debug/pprof/heap is asked twice; for each request the host's CPU time
# (utime+stime of /proc/PID/stat, all threads) and wall time, and the
# host's RSS growth over both. Then the same addresses of the program (from
# ?debug=1) go through `addr2line -i -f` and, when installed,
# `llvm-symbolizer --inlining` (CPU time of each), and every address's
# frames are compared with addr2line's (bench/compare_addr2line.py).
# Targets: first request <= 2 s host CPU, next <= 0.2 s, RSS growth <=
# 64 MB, no slower than addr2line, 0 mismatches. Last, the program again
# with CPROF_SYMBOLIZE=off: the host's cost of /heap, then `cprof`'s CPU to
# symbolize that profile from the binary, and whether it names the same
# stacks as the in-process run.
# Usage: bench/symbolize.sh [N]    (make bench-symbolize: N = 40000)
# CPROF_LIB_UNDER_TEST=path/libcprof.so measures another build (e.g. an older one).
set -eu
cd "$(dirname "$0")/.."
n=${1:-40000}
lib=${CPROF_LIB_UNDER_TEST:-$PWD/build/libcprof.so}
bin=$PWD/build/bench/many_funcs_$n
out=$(mktemp -d /tmp/cprof-symbolize-bench.XXXXXX)
pid=""
cleanup() {
    exec 8>&- 2>/dev/null || true
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$out"
}
trap cleanup EXIT
mkdir -p build/bench
if [ ! -x "$bin" ] || [ bench/gen_many_funcs.py -nt "$bin" ]; then
    echo "building the $n-function program (one unit, gcc -O1 -g)..."
    python3 bench/gen_many_funcs.py "$n" "$out/many.c"
    gcc -O1 -g -o "$bin" "$out/many.c"
fi
echo "program: $bin, $(du -m "$bin" | cut -f1) MB"

# CPU seconds (user+system, all threads) of process $1
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
rss_kb() { awk -v f="${2:-VmRSS}:" '$1 == f {print $2}' "/proc/$1/status"; }
now() { date +%s.%N; }

# start_program NAME [ENV...]: the program under the preload (and ENV), its
# stdin a FIFO held by fd 8; sets pid and port once it printed "ready".
start_program() {
    local name=$1
    shift
    rm -f "$out/in"
    mkfifo "$out/in"
    env "$@" CPROF_ADDR=127.0.0.1:0 CPROF_HEAP_RATE=4096 LD_PRELOAD="$lib" "$bin" <"$out/in" \
        >"$out/$name.out" 2>"$out/$name.err" &
    pid=$!
    exec 8>"$out/in"
    port=""
    for _ in $(seq 1 600); do
        grep -qx ready "$out/$name.out" 2>/dev/null &&
            port=$(sed -n 's|^cprof: pid [0-9]* serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$out/$name.err")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$out/$name.err"; echo "the program never got ready"; exit 1; }
}

start_program app
base=http://127.0.0.1:$port/debug/pprof
rss0=$(rss_kb "$pid")
anon0=$(rss_kb "$pid" RssAnon)
results=()
for req in first second; do
    c0=$(cpu_of "$pid")
    t0=$(now)
    curl -sf --max-time 600 -o "$out/heap.$req.pb.gz" "$base/heap"
    t1=$(now)
    c1=$(cpu_of "$pid")
    results+=("$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')")
    printf "%-8s /heap: host CPU %6.2f s, wall %6.2f s\n" "$req" \
        "$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')"
done
rss1=$(rss_kb "$pid")
anon1=$(rss_kb "$pid" RssAnon)
printf "host RSS: %d MB before, %d MB after: +%d MB (anonymous +%d MB, the rest file pages)\n" \
    $((rss0 / 1024)) $((rss1 / 1024)) $(((rss1 - rss0) / 1024)) $(((anon1 - anon0) / 1024))
curl -sf -o "$out/heap.txt" "$base/heap?debug=1"
cp "/proc/$pid/maps" "$out/maps"
curl -sf "$base/" | sed -n 's/.*<p>Symbol cache: \(.*\)<\/p>.*/symbol cache: \1/p'

echo "frames against addr2line -i -f:"
python3 bench/compare_addr2line.py "$out/heap.txt" "$out/maps" "$bin" "$out/cmp" | sed 's/^/  /' ||
    echo "  MISMATCHES (above)"
addrs=$(wc -l <"$out/cmp.addrs")
# CPU seconds of a command (its children included), output discarded.
cpu_cmd() {
    python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[2:], stdin=open(sys.argv[1]), stdout=subprocess.DEVNULL, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % (r.ru_utime + r.ru_stime))
PY
}
a2l=$(cpu_cmd "$out/cmp.addrs" addr2line -i -f -e "$bin")
first=${results[0]}
printf "%-34s %8s %8s\n" "same $addrs addresses" "cpu (s)" "ratio"
printf "%-34s %8.3f %7.2fx\n" "addr2line -i -f" "$a2l" 1
if command -v llvm-symbolizer >/dev/null; then
    sed 's/^/0x/' "$out/cmp.addrs" >"$out/cmp.0x"
    llvm=$(cpu_cmd "$out/cmp.0x" llvm-symbolizer --inlining --obj="$bin")
    printf "%-34s %8.3f %7.2fx\n" "llvm-symbolizer --inlining" "$llvm" \
        "$(awk -v a="$llvm" -v b="$a2l" 'BEGIN {print a / b}')"
else
    echo "llvm-symbolizer: not installed, skipped"
fi
printf "%-34s %8.3f %7.2fx\n" "cprof first /heap (host CPU)" "$first" \
    "$(awk -v a="$first" -v b="$a2l" 'BEGIN {print a / b}')"
printf "%-34s %8.3f %7.2fx\n" "cprof second /heap (host CPU)" "${results[1]}" \
    "$(awk -v a="${results[1]}" -v b="$a2l" 'BEGIN {print a / b}')"

# The same program with CPROF_SYMBOLIZE=off: what the host spends on /heap
# when it serves addresses only, then what `cprof` spends symbolizing that
# profile on this machine (from the binary, through the same index), and
# whether it names the same stacks as the in-process symbolized profile.
exec 8>&-
wait "$pid" 2>/dev/null || true
pid=""
start_program off CPROF_SYMBOLIZE=off
rss0=$(rss_kb "$pid")
c0=$(cpu_of "$pid")
curl -sf --max-time 600 -o "$out/heap.off.pb.gz" "http://127.0.0.1:$port/debug/pprof/heap"
c1=$(cpu_of "$pid")
rss1=$(rss_kb "$pid")
printf "CPROF_SYMBOLIZE=off: first /heap host CPU %.2f s, host RSS +%d MB\n" \
    "$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')" $(((rss1 - rss0) / 1024))
cprof_cpu=$(python3 - "$PWD/build/cprof" "$out/heap.off.pb.gz" "$out/off.collapsed" <<'PY'
import resource, subprocess, sys
with open(sys.argv[3], "w") as f:
    subprocess.run([sys.argv[1], "collapsed", "-lines", "-sample_index=alloc_space", sys.argv[2]], stdout=f,
                   stderr=subprocess.DEVNULL, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % (r.ru_utime + r.ru_stime))
PY
)
# the stacks of the generated functions, without their (randomly unsampled) values
build/cprof collapsed -lines -sample_index=alloc_space "$out/heap.first.pb.gz" 2>/dev/null |
    grep ';f[0-9]' | sed 's/ [0-9]*$//' | sort >"$out/on.sorted"
grep ';f[0-9]' "$out/off.collapsed" | sed 's/ [0-9]*$//' | sort >"$out/off.sorted"
printf "cprof collapsed -lines on it (symbolizes %s): %.3f s CPU (%.2fx addr2line); " \
    "$(basename "$bin")" "$cprof_cpu" "$(awk -v a="$cprof_cpu" -v b="$a2l" 'BEGIN {print a / b}')"
if cmp -s "$out/on.sorted" "$out/off.sorted"; then
    echo "same $(wc -l <"$out/on.sorted") stacks as in process"
else
    echo "DIFFERENT stacks from in process: $(diff "$out/on.sorted" "$out/off.sorted" | grep -c '^[<>]') lines"
fi
