# A program that forks and execs children under the preload: every exec'd
# child gets its own port (port 0) or, on a fixed port the parent holds,
# none: quietly by default (it is reachable over its Unix socket), in one
# line on stderr with CPROF_VERBOSE=1; a child that only forks never takes
# the endpoint over, since its parent waits for it, and says it has no
# listener only with CPROF_VERBOSE=1 (at once with CPROF_FOLLOW_FORK=off);
# the parent keeps serving; all exit 0.
source "$(dirname "$0")/lib/common.sh"

run() { # ADDR [ENV...] -> runs forkexec, output in $WORK/fe.{out,err}
    env CPROF_ADDR="$1" CPROF_HEAP_RATE=4096 "${@:2}" LD_PRELOAD="$LIB" "$HELPERS/forkexec" \
        >"$WORK/fe.out" 2>"$WORK/fe.err" || { cat "$WORK/fe.err"; fail "forkexec failed ($1)"; }
    grep -qx "parent ok" "$WORK/fe.out" || fail "parent not ok"
    grep -qx "child ok" "$WORK/fe.out" || fail "exec'd child not ok"
    cat "$WORK/fe.err"
}

no_listener='^cprof: pid [0-9]* (forked from [0-9]*) has no HTTP listener; exec gives a child its own$'

# Port 0: parent and both exec'd children each announce a distinct port
# (CPROF_VERBOSE=1: the forked child's line too).
run 127.0.0.1:0 CPROF_FOLLOW_FORK=off CPROF_VERBOSE=1
n=$(grep -c '^cprof: pid [0-9]* serving http://127.0.0.1:[0-9]*/debug/pprof/$' "$WORK/fe.err")
[ "$n" = 3 ] || fail "expected 3 listeners (parent + 2 exec'd), got $n"
ports=$(sed -n 's|.*127.0.0.1:\([0-9]*\)/.*|\1|p' "$WORK/fe.err" | sort -u | wc -l)
[ "$ports" = 3 ] || fail "listeners share a port"
# Only the child that goes on running (and allocating) without exec says it
# has no listener; the two that exec at once stay quiet until their exec.
n=$(grep -c "$no_listener" "$WORK/fe.err")
[ "$n" = 1 ] || fail "expected 1 forked-child line, got $n"

# The same in auto mode, quiet by default: no take-over, only the three
# processes that serve say so.
run 127.0.0.1:0
n=$(grep -c '^cprof: pid [0-9]* serving http://127.0.0.1:[0-9]*/debug/pprof/$' "$WORK/fe.err")
[ "$n" = 3 ] || fail "auto: expected 3 listeners (parent + 2 exec'd), got $n"
[ "$(grep -c cprof "$WORK/fe.err")" = 3 ] || fail "auto: unexpected extra cprof lines"

# Fixed port held by the parent: with CPROF_VERBOSE=1 the exec'd children
# say why they have none.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run "127.0.0.1:$port" CPROF_VERBOSE=1
n=$(grep -c "^cprof: pid [0-9]*: HTTP listener disabled: .*$port.*in use" "$WORK/fe.err")
[ "$n" = 2 ] || fail "verbose: expected 2 'in use' lines, got $n"

# By default they stay quiet: their profiled parent holds the port. The
# parent's own line (a fixed port is announced once it has served 1 s) is
# the only one there may be.
run "127.0.0.1:$port"
n=$(grep -c "HTTP listener disabled" "$WORK/fe.err" || true)
[ "$n" = 0 ] || fail "expected no 'listener disabled' line by default, got $n"
[ "$(grep -v "^cprof: pid [0-9]* serving http://127.0.0.1:$port/debug/pprof/$" "$WORK/fe.err" | grep -c cprof)" = 0 ] ||
    fail "unexpected extra cprof lines"
