# A program that closes descriptors 3..1024 without forking (a close() loop,
# then closefrom(3)) and opens its own files and sockets: cprof's server
# keeps its own descriptors (the program's close of them is a no-op,
# own_fds.c), so the endpoint keeps answering, and the numbers the program
# gets are its own: its listening sockets get its connections (not cprof's
# server), its eventfd, pipe, socketpair and file carry its data unchanged,
# while the endpoint is scraped.
source "$(dirname "$0")/lib/common.sh"

for mode in loop closefrom; do
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
    # Nothing more than the address line on stderr.
    [ "$(grep -vc '^cprof: pid [0-9]* serving' "$WORK/close_$mode.err")" = 0 ] ||
        { cat "$WORK/close_$mode.err" >&2; fail "$mode: unexpected stderr"; }
done
