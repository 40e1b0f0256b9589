# The push agent's settings through a preloaded program: each bad value is
# one stderr line; a bad URL, name, label, token or tenant disables pushing
# only (the program runs, the listener serves, no push is attempted); a bad
# interval falls back to 15 s, a bad rate to the default 50 Hz. An http URL with a path
# prefix is accepted.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
run() { # NAME VAR=VALUE... [-- CMD...]: push_busy for 1 s (or CMD) under the preload with those
    local name=$1 vars=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    [ $# -gt 0 ] || set -- "$HELPERS/push_busy" 1 1
    env CPROF_ADDR=127.0.0.1:0 LD_PRELOAD="$LIB" CPROF_PUSH_URL=http://127.0.0.1:9 "${vars[@]}" \
        "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || fail "$name: exit status $?"
    grep -q '^cpu_ns ' "$WORK/$name.out" || fail "$name: the program did not run to its end"
    [ "$name" = wrapper ] || served_port "$WORK/$name.err" | grep -q . || { cat "$WORK/$name.err"; fail "$name: no listener"; }
}
expect_disabled() { # NAME LINE
    [ "$(grep -c '^cprof: CPROF_' "$WORK/$1.err")" = 1 ] && grep -qF "$2" "$WORK/$1.err" ||
        { cat "$WORK/$1.err"; fail "$1: want one line with: $2"; }
    if grep -q 'pushing profiles\|push to' "$WORK/$1.err"; then cat "$WORK/$1.err"; fail "$1: pushed anyway"; fi
}
run url CPROF_PUSH_URL=ftp://pyroscope:4040
expect_disabled url 'cprof: CPROF_PUSH_URL="ftp://pyroscope:4040" is not an http:// or https:// base URL; pushing disabled'
run name CPROF_SERVICE_NAME='my app'
expect_disabled name 'cprof: CPROF_SERVICE_NAME="my app" is not a Pyroscope name (letters, digits, _ . -); pushing disabled'
run labels CPROF_PUSH_LABELS='env={x}'
expect_disabled labels 'cprof: CPROF_PUSH_LABELS: bad label "env={x}"'
run token CPROF_PUSH_TOKEN='two words'
expect_disabled token 'cprof: CPROF_PUSH_TOKEN: the token must be 1 to 512 visible ASCII characters; pushing disabled'
run tenant CPROF_PUSH_TENANT='a b'
expect_disabled tenant 'cprof: CPROF_PUSH_TENANT="a b" is not'
run interval CPROF_PUSH_INTERVAL=0.5 CPROF_PUSH_URL=http://127.0.0.1:9/pyroscope/
grep -qF 'cprof: CPROF_PUSH_INTERVAL="0.5" is not a number of seconds from 1 to 3600; using 15' "$WORK/interval.err" &&
    grep -qE '^cprof: pid [0-9]+ pushing profiles to http://127.0.0.1:9/pyroscope/ every 15 s as push_busy$' "$WORK/interval.err" ||
    { cat "$WORK/interval.err"; fail "bad interval"; }
run hz CPROF_PUSH_HZ=fast
grep -qF 'cprof: CPROF_PUSH_HZ="fast" is not an integer from 1 to 5000; using 50' "$WORK/hz.err" &&
    grep -q 'pushing profiles to' "$WORK/hz.err" || { cat "$WORK/hz.err"; fail "bad rate"; }
# A process CPROF_PROGRAM does not name (a wrapper) starts no agent.
run wrapper CPROF_PROGRAM=postgres CPROF_PUSH_URL=http://127.0.0.1:9
if grep -q 'pushing profiles\|push to' "$WORK/wrapper.err"; then cat "$WORK/wrapper.err"; fail "a wrapper pushed"; fi
[ ! -s "$WORK/wrapper.err" ] || { cat "$WORK/wrapper.err"; fail "a wrapper said something"; }

# Fork: the agent thread stays with the parent. A forked child that exits
# through exit() neither crashes nor pushes (no exit flush of the parent's
# interval twice): a 60 s interval leaves exactly the parent's exit flush,
# one CPU and one memory profile, at the default rate (50 Hz).
start_receiver "$WORK/recv"
run fork CPROF_PUSH_URL=http://127.0.0.1:$RECV_PORT CPROF_PUSH_INTERVAL=60 -- "$HELPERS/push_busy" 1 1 fork
grep -q '^child exited 0$' "$WORK/fork.out" || { cat "$WORK/fork.out" "$WORK/fork.err"; fail "the forked child"; }
[ "$(ls "$WORK/recv/" | grep -c '\.pb\.gz$')" = 2 ] || { ls "$WORK/recv"; fail "want the parent's two profiles only"; }
[ ! -e "$WORK/recv/errors" ] || { cat "$WORK/recv/errors"; fail "requests that break Pyroscope's API"; }
periods=$(for f in "$WORK"/recv/*.pb.gz; do "$CPROF" -raw "$f" | grep -A1 '^PeriodType: cpu nanoseconds$' | sed -n 's/^Period: //p'; done)
[ "$periods" = 20000000 ] || fail "want one CPU profile at 50 Hz (period 20000000 ns), got: $periods"
