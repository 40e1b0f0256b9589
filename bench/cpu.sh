#!/bin/bash
# CPU profiler overhead: bench/cpu_burn (2 threads of integer work under a
# 12-deep call chain, -O2) run not profiled, preloaded with cprof but not
# profiling (cprof_off: the fixed cost of loading it), under cprof at 100 Hz
# and at 1000 Hz (CPROF_CPU_PROFILE), under gperftools' libprofiler (CPUPROFILE,
# Debian libgoogle-perftools-dev) and under `perf record -g` at the same
# rates, in alternating rounds within the same run. Prints each
# configuration's best CPU time (the program's own getrusage, taken before
# exit: the one-time writing of the profile is not sampling overhead), its
# ratio to the baseline, and the CPU time each profile accounts for (from
# go tool pprof / perf report) against the program's CPU time.
# Targets (issue 4): cprof <= 1.01x at 100 Hz and <= 1.05x at 1000 Hz.
# A missing tool (no gperftools, perf not permitted) is reported and skipped.
# Usage: bench/cpu.sh [ROUNDS] [WORK_ROUNDS]    (make bench-cpu: 5 rounds)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-5}
work=${2:-1500}
lib=$PWD/build/libcprof.so
burn=$PWD/build/bench/cpu_burn
out=$(mktemp -d /tmp/cprof-cpu-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
gperf=""
for f in /usr/lib/x86_64-linux-gnu/libprofiler.so /usr/lib/libprofiler.so; do
    [ -e "$f" ] && gperf=$f && break
done
perf_ok=0
if command -v perf >/dev/null &&
    perf record -e cpu-clock -F 100 -g -o "$out/probe.data" -- true >/dev/null 2>&1; then
    perf_ok=1
fi

configs=(baseline cprof_off cprof_100 cprof_1000)
[ -n "$gperf" ] && configs+=(gperftools_100 gperftools_1000)
[ "$perf_ok" = 1 ] && configs+=(perf_100 perf_1000)

run_config() { # CONFIG -> the program's output line; profile in $out/CONFIG.*
    local c=$1 hz=${1##*_}
    case $c in
    baseline) "$burn" 2 "$work" ;;
    cprof_off) CPROF_ADDR=off CPROF_HEAP_RATE=0 LD_PRELOAD=$lib "$burn" 2 "$work" ;;
    cprof_*) CPROF_ADDR=off CPROF_HEAP_RATE=0 CPROF_CPU_PROFILE="$out/$c.pb.gz" CPROF_CPU_HZ=$hz \
        LD_PRELOAD=$lib "$burn" 2 "$work" ;;
    gperftools_*) CPUPROFILE="$out/$c.prof" CPUPROFILE_FREQUENCY=$hz LD_PRELOAD=$gperf \
        "$burn" 2 "$work" 2>/dev/null ;;
    perf_*) perf record -q -e cpu-clock -F "$hz" -g -o "$out/$c.data" -- "$burn" 2 "$work" \
        2>/dev/null ;;
    esac
}

# Seconds of CPU the profile written by the last run of CONFIG accounts for.
profiled_seconds() {
    local c=$1
    case $c in
    cprof_*) go tool pprof -top "$out/$c.pb.gz" 2>/dev/null ;;
    gperftools_*) go tool pprof -top "$burn" "$out/$c.prof" 2>/dev/null ;;
    perf_*)
        perf report -i "$out/$c.data" --stdio 2>/dev/null |
            sed -n 's/^# Samples: \([0-9.]*\)\(K*\) .*/\1 \2/p' | head -n1 |
            awk -v hz="${c##*_}" '{n = $1; if ($2 == "K") n *= 1000; printf "samples of %.3fs total\n", n / hz}'
        ;;
    *) return ;;
    esac | sed -n 's/.* of \([0-9.]*\)\(m*s\) total.*/\1 \2/p' | head -n1 |
        awk '{v = $1; if ($2 == "ms") v /= 1000; printf "%.3f", v}'
}

source bench/lib.sh
declare -A best last
bench_alternate "$rounds" "${configs[@]}"
printf '%-16s %9s %8s %14s\n' config "cpu (s)" ratio "profiled/cpu"
for c in "${configs[@]}"; do
    p=$(profiled_seconds "$c")
    awk -v n="$c" -v t="${best[$c]}" -v b="${best[baseline]}" -v p="$p" -v l="${last[$c]}" \
        'BEGIN {printf "%-16s %9.3f %7.3fx %14s\n", n, t, t / b, p == "" ? "-" : sprintf("%.3f", p / l)}'
done
[ -n "$gperf" ] || echo "(gperftools' libprofiler not installed: apt-get install libgoogle-perftools-dev)"
[ "$perf_ok" = 1 ] || echo "(perf record unavailable here: not installed or not permitted)"
echo "(2 threads x $work rounds; best CPU time of $rounds alternating rounds; profiled/cpu from the last round)"
