# Thread dumps leave every thread's system call as it was (issue 12, item 2):
# blocking_calls runs threads in each blocking call the kernel does not
# restart after a signal handler (plus sigwait and pthread_cond_timedwait),
# each checking its return value and elapsed time, while the threads
# profile is taken 100 times at each debug level and a 1,000 Hz CPU profile
# runs (busy_nanosleep burns CPU between sleeps, so that profile's timer
# fires on it): no call may return early or with EINTR. Each dump must still list
# every thread with a stack (the blocked ones without being signalled).
# BLOCKING_DUMPS=N changes the 100; CPROF_TEST_LIB another build's library
# (BENCHMARKS.md's "before" column).
source "$(dirname "$0")/lib/common.sh"
LIB=${CPROF_TEST_LIB:-$LIB}
dumps=${BLOCKING_DUMPS:-100}

start_preloaded calls "$HELPERS/blocking_calls" -t 2 all
wait_for_line calls ready
curl -sf --max-time 30 -o "$WORK/cpu.pb" "$BASE/profile?seconds=2&hz=1000" &
cpu=$!
for i in $(seq 1 "$dumps"); do
    for d in 0 1 2; do
        curl -sf --max-time 10 -o "$WORK/t$d.out" "$BASE/threads?debug=$d" || fail "dump $i debug=$d"
    done
done
wait "$cpu" || fail "CPU profile"
# The last dumps: every thread has a stack, the blocked ones at their call.
if grep -q 'no stack' "$WORK/t2.out"; then
    grep -B1 -A3 'no stack' "$WORK/t2.out" >&2
    fail "a thread without a stack"
fi
for f in do_nanosleep do_poll do_semop do_msgrcv do_recv do_pause do_sigwaitinfo; do
    grep -q "^$f(\.\.\.)$" "$WORK/t2.out" || { cat "$WORK/t2.out" >&2; fail "no stack through $f"; }
done
# The raw syscall(): not signalled, shown at the PC /proc gives (in libc's
# syscall()), blocked in clock_nanosleep.
grep -A1 -E '^thread [0-9]+ .*\[sleeping in clock_nanosleep' "$WORK/t2.out" | grep -q '^syscall(\.\.\.)$' ||
    { cat "$WORK/t2.out" >&2; fail "raw clock_nanosleep not shown at its syscall"; }
pprof_clean -raw "$WORK/t0.out" >/dev/null
pprof_clean -raw "$WORK/cpu.pb" >/dev/null
rc=0
finish_app || rc=$?
cat "$WORK/calls.out"
[ "$rc" = 0 ] || { cat "$WORK/calls.err" >&2; fail "blocking_calls exited with $rc"; }
modes=$(grep -c ' calls=' "$WORK/calls.out")
[ "$modes" -ge 20 ] || fail "only $modes modes ran"
[ "$(grep -c ' calls=[1-9][0-9]* early=0 eintr=0 errors=0$' "$WORK/calls.out")" = "$modes" ] ||
    fail "a mode made no call or saw an early return, EINTR or an error"
