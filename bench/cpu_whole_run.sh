#!/bin/bash
# Whole-run CPU profile cost, the write included (issue 13): bench/cpu_burn
# (1 thread, ~1.4 s of CPU) run not profiled, preloaded without a profile
# (the fixed cost of loading libcprof), then with CPROF_CPU_PROFILE at
# 100 Hz symbolized in process (the default), then with CPROF_SYMBOLIZE=off
# (addresses, mappings and build IDs only; cprof or go tool pprof symbolizes
# the file later). Alternating rounds; the process's whole CPU time
# (user+system of the child, exit and the profile's write included), best
# and median of each. Target: <= 1 % over the baseline.
# Usage: bench/cpu_whole_run.sh [ROUNDS] [WORK_ROUNDS]   (default 9 rounds, 980)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-9}
work=${2:-980}
lib=$PWD/build/libcprof.so
burn=$PWD/build/bench/cpu_burn
out=$(mktemp -d /tmp/cprof-cpu-whole.XXXXXX)
trap 'rm -rf "$out"' EXIT

python3 - "$rounds" "$work" "$lib" "$burn" "$out" <<'PY'
import os, resource, statistics, subprocess, sys
rounds, work, lib, burn, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
base_env = dict(os.environ, CPROF_ADDR="off", CPROF_HEAP_RATE="0", CPROF_SOCKET="off")
configs = {
    "baseline": None,
    "preloaded, no profile": {},
    "profile, symbolized": {"CPROF_CPU_PROFILE": out + "/on.pb.gz"},
    "profile, CPROF_SYMBOLIZE=off": {"CPROF_CPU_PROFILE": out + "/off.pb.gz",
                                     "CPROF_SYMBOLIZE": "off"},
}
times = {name: [] for name in configs}

def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

for _ in range(rounds):
    for name, extra in configs.items():
        env = dict(os.environ) if extra is None else dict(base_env, LD_PRELOAD=lib, **extra)
        before = child_cpu()
        subprocess.run([burn, "1", work], env=env, stdout=subprocess.DEVNULL, check=True)
        times[name].append(child_cpu() - before)
best0 = min(times["baseline"])
med0 = statistics.median(times["baseline"])
print("%-30s %9s %9s %8s %8s" % ("whole run, exit included", "best (s)", "median", "best x", "median x"))
for name, t in times.items():
    print("%-30s %9.3f %9.3f %7.3fx %7.3fx" % (name, min(t), statistics.median(t),
                                             min(t) / best0, statistics.median(t) / med0))
for f in ("on", "off"):
    print("%s.pb.gz: %d bytes" % (f, os.path.getsize(out + "/" + f + ".pb.gz")))
PY
