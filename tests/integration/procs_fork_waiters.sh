# Forked children that never allocate, fork or wait in epoll_wait after
# fork (tests/helpers/fork_waiters.c: one each blocking at once in poll,
# ppoll, select, accept, pause, sigsuspend, nanosleep, sleep) still get
# their Unix socket: each appears, cprof ps lists it, and ?pid=N on the
# master's TCP port serves its /heap (read by go tool pprof) and its
# /threads (the child's thread waiting in its call). A child that waits in
# poll inside a SIGUSR1 handler gets no socket while in the handler (the
# start-up work never runs there), and gets it once back in its own code.
# A child forked with every signal blocked that restores its master's mask
# (sigprocmask) before it polls gets its socket too (its mask is followed).
# A child that calls unshare(CLONE_NEWUSER) right after fork is still
# single-threaded (no EINVAL), when the machine permits user namespaces.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/procs.sh"

CPROF=$ROOT/build/cprof
DIR=$XDG_RUNTIME_DIR/cprof
KINDS="poll ppoll select accept pause sigsuspend nanosleep sleep unmask"

start_preloaded waiters "$HELPERS/fork_waiters"
wait_for_line waiters ready 60
pid_of() { sed -n "s/^$1 \([0-9]*\)\$/\1/p" "$WORK/waiters.out"; }

# The handler child: no socket while it polls inside its handler.
h=$(pid_of handler)
[ -n "$h" ] || fail "no handler child"
for _ in $(seq 1 100); do
    grep -qx 'handler waiting' "$WORK/waiters.out" && break
    sleep 0.05
done
grep -qx 'handler waiting' "$WORK/waiters.out" || fail "the handler child never entered its handler"
sleep 1
grep -qx 'handler done' "$WORK/waiters.out" && fail "the handler returned too soon for the check"
[ ! -e "$DIR/$h.sock" ] || fail "the handler child opened its socket inside its signal handler"
wait_socket "$h" 10 || fail "the handler child has no socket after its handler returned"
grep -qx 'handler done' "$WORK/waiters.out" || fail "the socket came before the handler returned"

"$CPROF" ps >"$WORK/ps.out" || fail "cprof ps failed"
cat "$WORK/ps.out"
for kind in $KINDS handler; do
    p=$(pid_of "$kind")
    [ -n "$p" ] || fail "no $kind child"
    wait_socket "$p" 10 || fail "the $kind child ($p) has no socket: $(ls -A "$DIR")"
    "$CPROF" ps >"$WORK/ps.out" || fail "cprof ps failed"
    grep -q "^$p  *$APP_PID  *forked .* fork_waiters  *$DIR/$p.sock\$" "$WORK/ps.out" ||
        { cat "$WORK/ps.out"; fail "cprof ps does not list the $kind child $p"; }
done

# ?pid=N reaches each over its socket.
for kind in $KINDS; do
    p=$(pid_of "$kind")
    curl -sf -o "$WORK/$p.heap" "$BASE/heap?pid=$p" || fail "heap?pid=$p ($kind)"
    pprof_clean -raw "$WORK/$p.heap" | grep -q '^PeriodType: space bytes' || fail "heap?pid=$p is not a heap profile"
    curl -sf "$BASE/threads?debug=2&pid=$p" >"$WORK/$p.threads" || fail "threads?pid=$p ($kind)"
    grep -q "child" "$WORK/$p.threads" || { cat "$WORK/$p.threads"; fail "threads?pid=$p ($kind) lacks the child's stack"; }
done

# unshare(CLONE_NEWUSER) right after fork: single-threaded.
u=$(pid_of userns)
for _ in $(seq 1 100); do
    grep -q '^userns [A-Za-z]*$' "$WORK/waiters.out" && break
    sleep 0.05
done
r=$(sed -n 's/^userns \([A-Za-z]*\)$/\1/p' "$WORK/waiters.out")
case "$r" in
ok) wait_socket "$u" 10 || echo "the child in its own user namespace has no socket (not required)" ;;
EPERM) echo "SKIP: unshare(CLONE_NEWUSER) is not permitted here: the user namespace check is skipped" ;;
EINVAL) fail "unshare(CLONE_NEWUSER) failed with EINVAL: the forked child was not single-threaded" ;;
*) fail "unshare(CLONE_NEWUSER) in the forked child: '$r'" ;;
esac

finish_app || fail "fork_waiters failed"
! grep -q 'no Unix socket' "$WORK/waiters.err" || { cat "$WORK/waiters.err"; fail "a socket failed"; }
