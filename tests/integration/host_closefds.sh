# A program that closes descriptors 3..1024 without forking (a close() loop,
# then closefrom(3)) and opens its own files and sockets: cprof's server
# keeps its own descriptors (the program's close of them is a no-op,
# own_fds.c), so the endpoint keeps answering, and the numbers the program
# gets are its own: its listening sockets get its connections (not cprof's
# server), its eventfd, pipe, socketpair and file carry its data unchanged,
# while the endpoint is scraped.
# Then a program that dup2s its own listening sockets and eventfds onto
# every socket and eventfd number it did not open (cprof's): the server
# steps aside and comes back on fresh descriptors on the same port, says so
# on stderr, and the program's numbers carry the program's data.
# And a program started with descriptor 0 closed: cprof takes none of 0..2,
# so the program's open("/dev/null") gets 0 as its daemon code expects.
source "$(dirname "$0")/lib/common.sh"

for mode in loop closefrom dup2; do
    start_preloaded "close_$mode" "$HELPERS/closefds_host" "$mode"
    wait_for_line "close_$mode" ready 30
    curl -sf -o /dev/null "$BASE/cmdline" || fail "$mode: no endpoint before"
    echo go >&9
    for _ in $(seq 1 100); do
        grep -q '^reopened' "$WORK/close_$mode.out" && break
        sleep 0.05
    done
    grep '^reopened' "$WORK/close_$mode.out" || fail "$mode: the program did not reopen"
    # The endpoint answers within 2 s, then stays up under scrapes while the
    # program checks its descriptors again and again.
    up=0
    for _ in $(seq 1 20); do
        curl -sf --max-time 2 -o /dev/null "$BASE/cmdline" && { up=1; break; }
        sleep 0.1
    done
    [ "$up" = 1 ] || fail "$mode: the endpoint did not answer after the closing"
    for round in 1 2 3 4 5; do
        for p in "" "heap?debug=1" "goroutine?debug=2" threads; do
            curl -sf --max-time 5 -o /dev/null "$BASE/$p" || fail "$mode: /debug/pprof/$p failed"
        done
        echo check >&9
    done
    rc=0
    finish_app || rc=$?
    cat "$WORK/close_$mode.out"
    [ "$rc" = 0 ] || { cat "$WORK/close_$mode.err" >&2; fail "$mode: the program's descriptors were disturbed"; }
    [ "$(grep -c '^intact$' "$WORK/close_$mode.out")" = 5 ] || fail "$mode: not 5 intact checks"
    if [ "$mode" = dup2 ]; then
        grep '^took' "$WORK/close_$mode.out"
        # One line per time the server stepped aside, each naming the port
        # it serves again on: the same.
        grep -q "took descriptor [0-9]* (dup2); serving again on http://127.0.0.1:$PORT/" \
            "$WORK/close_$mode.err" || { cat "$WORK/close_$mode.err" >&2; fail "dup2: no 'serving again' line"; }
        other=$(grep -v '^cprof: pid [0-9]* serving' "$WORK/close_$mode.err" |
            grep -vc "took descriptor [0-9]* (dup2); serving again on http://127.0.0.1:$PORT/" || true)
        [ "$other" = 0 ] || { cat "$WORK/close_$mode.err" >&2; fail "$mode: unexpected stderr"; }
    else
        # Nothing more than the address line on stderr.
        [ "$(grep -vc '^cprof: pid [0-9]* serving' "$WORK/close_$mode.err")" = 0 ] ||
            { cat "$WORK/close_$mode.err" >&2; fail "$mode: unexpected stderr"; }
    fi
done

# Descriptor 0 closed at start.
mkfifo "$WORK/std.ctl"
env CPROF_ADDR=127.0.0.1:0 LD_PRELOAD="$LIB" "$HELPERS/closefds_host" std "$WORK/std.ctl" \
    0<&- >"$WORK/std.out" 2>"$WORK/std.err" &
APP_PID=$!
PIDS+=("$APP_PID")
exec 9>"$WORK/std.ctl"
for _ in $(seq 1 200); do
    grep -q '^devnull on' "$WORK/std.out" && break
    sleep 0.05
done
cat "$WORK/std.out"
grep -qx 'fd0 closed' "$WORK/std.out" || fail "std: cprof took descriptor 0"
grep -qx 'devnull on 0' "$WORK/std.out" || fail "std: the program's open did not get 0"
PORT=$(served_port "$WORK/std.err")
[ -n "$PORT" ] || { cat "$WORK/std.err" >&2; fail "std: no address line"; }
curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$PORT/debug/pprof/threads" || fail "std: no endpoint"
finish_app || fail "std: the program failed"
echo "descriptor 0 left to the program"

