# The deadlock scenario of signal-based profilers (reference §3): CPU
# profiling at 1000 Hz while threads dlopen/dlclose a library, throw and
# catch C++ exceptions, and are born and die, in loops. 20 runs in a row,
# each of 3 start/stop cycles and bounded by a 30 s timeout (a run takes
# ~1.5 s): every one must finish, exit 0 and write a profile pprof reads.
source "$(dirname "$0")/lib/common.sh"
for i in $(seq 1 20); do
    rc=0
    timeout 30 "$HELPERS/cpu_stress" "$HELPERS/libcpu_plugin.so" "$WORK/stress.pb.gz" 3 300 \
        >"$WORK/stress.out" 2>"$WORK/stress.err" || rc=$?
    [ "$rc" = 124 ] && fail "run $i hung (deadlock?)"
    [ "$rc" = 0 ] || { cat "$WORK/stress.err" >&2; fail "run $i exited with $rc"; }
    grep -q '^done' "$WORK/stress.out" || fail "run $i did not finish"
    [ -s "$WORK/stress.pb.gz" ] || fail "run $i wrote no profile"
    echo "run $i: $(cat "$WORK/stress.out")"
done
pprof_clean -top "$WORK/stress.pb.gz" >"$WORK/top.txt"
head -n 12 "$WORK/top.txt"
grep -q 'throw_loop' "$WORK/top.txt" || fail "the throwing threads are missing from the profile"
grep -q 'dl_loop' "$WORK/top.txt" || fail "the dlopen threads are missing from the profile"
echo ok
