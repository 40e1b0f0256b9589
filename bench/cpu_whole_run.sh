#!/bin/bash
# Whole-run CPU profile cost, the write included (issue 13): bench/cpu_burn
# (1 thread, ~1.4 s of CPU) run not profiled, preloaded without a profile
# (the fixed cost of loading libcprof), then with CPROF_CPU_PROFILE at 100 Hz
# symbolized in process (the default: DWARF of the program, libc's frames
# named from its symbol table), with CPROF_SYMBOLIZE=full (libc's separate,
# compressed debug file read too, when libc6-dbg is installed), then with
# CPROF_SYMBOLIZE=off
# (addresses, mappings and build IDs only; cprof or go tool pprof symbolizes
# the file later). Alternating rounds (bench/lib.sh), best of each; the CPU
# time is the whole process's (user+system as its parent sees it), so exit
# and the profile's write are in. Target: <= 1 % over the baseline.
# Usage: bench/cpu_whole_run.sh [ROUNDS] [WORK_ROUNDS]   (default 9 rounds, 980)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-9}
work=${2:-980}
lib=$PWD/build/libcprof.so
burn=$PWD/build/bench/cpu_burn
out=$(mktemp -d /tmp/cprof-cpu-whole.XXXXXX)
trap 'rm -rf "$out"' EXIT

# whole_cpu CMD...: "cpu SECONDS", the CPU time of CMD and its children.
whole_cpu() {
    python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("cpu %.3f" % (r.ru_utime + r.ru_stime))
PY
}

run_config() { # CONFIG -> "cpu SECONDS"
    local preload=(env CPROF_ADDR=off CPROF_HEAP_RATE=0 CPROF_SOCKET=off LD_PRELOAD="$lib")
    case $1 in
    baseline) whole_cpu "$burn" 1 "$work" ;;
    preloaded) whole_cpu "${preload[@]}" "$burn" 1 "$work" ;;
    profile_symbolized) whole_cpu "${preload[@]}" CPROF_CPU_PROFILE="$out/on.pb.gz" "$burn" 1 "$work" ;;
    profile_symbolize_full) whole_cpu "${preload[@]}" CPROF_CPU_PROFILE="$out/full.pb.gz" \
        CPROF_SYMBOLIZE=full "$burn" 1 "$work" ;;
    profile_symbolize_off) whole_cpu "${preload[@]}" CPROF_CPU_PROFILE="$out/off.pb.gz" \
        CPROF_SYMBOLIZE=off "$burn" 1 "$work" ;;
    esac
}

source bench/lib.sh
declare -A best last
configs=(baseline preloaded profile_symbolized profile_symbolize_full profile_symbolize_off)
bench_alternate "$rounds" "${configs[@]}"
echo "whole run, exit and the profile's write included; best of $rounds:"
bench_print_ratios 24 "${configs[@]}"
for f in on full off; do
    echo "$f.pb.gz: $(stat -c %s "$out/$f.pb.gz") bytes"
done
