# CPROF_CPU_PROFILE=FILE (gperftools' CPUPROFILE): a preloaded program is
# profiled for its whole run, threads included, and the file is written at
# exit; CPROF_CPU_HZ sets the rate; a bad value costs one line and falls
# back to 100 Hz; an unwritable path costs one line and never the host.
source "$(dirname "$0")/lib/common.sh"
run_split() { # ENV... : cpu_split under the preload for ~1.5 s
    (sleep 1.5) | env CPROF_ADDR=off LD_PRELOAD="$LIB" "$@" "$HELPERS/cpu_split" \
        >"$WORK/run.out" 2>"$WORK/run.err"
}
run_split CPROF_CPU_PROFILE="$WORK/env.pb.gz" CPROF_CPU_HZ=250 || fail "cpu_split failed"
[ -s "$WORK/env.pb.gz" ] || fail "no profile written at exit"
[ ! -s "$WORK/run.err" ] || fail "unexpected stderr: $(cat "$WORK/run.err")"
pprof_clean -raw "$WORK/env.pb.gz" >"$WORK/raw.txt"
grep -q '^Period: 4000000' "$WORK/raw.txt" || fail "CPROF_CPU_HZ=250 not applied"
pprof_clean -top "$WORK/env.pb.gz" >"$WORK/top.txt"
for fn in f g h mixed pure; do
    grep -qE " $fn\$" "$WORK/top.txt" || fail "$fn missing from the whole-run profile"
done

run_split CPROF_CPU_PROFILE="$WORK/bad.pb.gz" CPROF_CPU_HZ=fast || fail "cpu_split failed"
grep -qx 'cprof: CPROF_CPU_HZ="fast" is not an integer from 1 to 5000; using 100' "$WORK/run.err" ||
    fail "no line for a bad CPROF_CPU_HZ: $(cat "$WORK/run.err")"
pprof_clean -raw "$WORK/bad.pb.gz" | grep -q '^Period: 10000000' || fail "fallback is not 100 Hz"

run_split CPROF_CPU_PROFILE=/nonexistent/dir/cpu.pb.gz || fail "an unwritable path hurt the host"
grep -q '^cprof: cannot write the CPU profile to /nonexistent/dir/cpu.pb.gz' "$WORK/run.err" ||
    fail "no line for an unwritable path: $(cat "$WORK/run.err")"
echo ok
