# The thread-dump signal under the preload: a thread that blocks every
# signal is marked and never waited for (each reply within the timeout),
# concurrent requests each get a well-formed
# reply, the program's own handler on the dump signal is never taken (one
# stderr line, another real-time signal used), and CPROF_SIGNAL chooses or
# disables the signal.
source "$(dirname "$0")/lib/common.sh"
H=$HELPERS/threads_signals
SIG=$(($(kill -l SIGRTMIN) + 3))

ms_now() { date +%s%3N; }
# timed_get URL FILE: GET with a hard client limit; prints milliseconds taken
timed_get() {
    local t0
    t0=$(ms_now)
    curl -sf --max-time 10 -o "$2" "$1" || fail "GET $1"
    echo $(($(ms_now) - t0))
}
has_caught() { # SIGNAL: is it in the process's SigCgt mask?
    local mask
    mask=$(sed -n 's/^SigCgt:\t//p' "/proc/$APP_PID/status")
    [ $(((0x$mask >> ($1 - 1)) & 1)) = 1 ]
}

# --- a thread that blocks every signal ---
start_preloaded blocked "$H" blocked
wait_for_line blocked ready
ms=$(timed_get "$BASE/threads?debug=2" "$WORK/dump.txt")
[ "$ms" -lt 2000 ] || fail "debug=2 took $ms ms with a thread blocking the signal"
grep -qE '^thread [0-9]+ "stubborn" \[sleeping( in read)?, age [^]]*, no stack: signal blocked\]:$' "$WORK/dump.txt" ||
    { cat "$WORK/dump.txt"; fail "stubborn thread not marked"; }
[ "$(grep -c '^sleeper(\.\.\.)$' "$WORK/dump.txt")" -ge 3 ] || fail "the other threads lost their stacks"
for i in $(seq 1 8); do
    ms=$(timed_get "$BASE/threads?debug=1" "$WORK/t$i.txt")
    [ "$ms" -lt 2000 ] || fail "dump $i took $ms ms"
    grep -qE '^# thread [0-9]+: no stack: signal blocked$' "$WORK/t$i.txt" || fail "dump $i: no marker"
done
# (that later dumps do not queue more signals on it is checked in
# test_threads_profile: the per-user queue count here is shared with others)
curl -sf -o "$WORK/b.pb" "$BASE/threads" || fail "GET threads"
pprof_clean -tags "$WORK/b.pb" >"$WORK/tags.txt"
grep -q "no stack: signal blocked" "$WORK/tags.txt" || { cat "$WORK/tags.txt"; fail "proto: stack label"; }

# Concurrent requests: serialized inside, each reply whole.
curls=()
for i in $(seq 1 6); do
    curl -sf --max-time 20 -o "$WORK/c$i.out" "$BASE/threads?debug=$((i % 3))" &
    curls+=("$!")
done
for p in "${curls[@]}"; do
    wait "$p" || fail "a concurrent request failed"
done
for i in $(seq 1 6); do
    case $((i % 3)) in
    0) [ "$(head -c2 "$WORK/c$i.out" | od -An -tx1 | tr -d ' ')" = 1f8b ] || fail "concurrent $i: not gzip"
       pprof_clean -raw "$WORK/c$i.out" >/dev/null ;;
    1) head -n1 "$WORK/c$i.out" | grep -qE '^threads profile: total [0-9]+$' || fail "concurrent $i: header"
       grep -q '^--- Memory map: ---$' "$WORK/c$i.out" || fail "concurrent $i: truncated" ;;
    2) head -n1 "$WORK/c$i.out" | grep -qE '^thread [0-9]+ ".*" \[.*\]:$' || fail "concurrent $i: header"
       grep -q '"stubborn"' "$WORK/c$i.out" || fail "concurrent $i: incomplete" ;;
    esac
done
finish_app || fail "blocked exited with $?"

# --- the program installs its own handler on the dump signal after us ---
start_preloaded after "$H" handler-after
wait_for_line after ready
for i in 1 2 3; do
    curl -sf -o "$WORK/after$i.txt" "$BASE/threads?debug=1" || fail "GET after $i"
done
grep -q 'sleeper+0x' "$WORK/after3.txt" || fail "no stacks after moving to another signal"
[ "$(grep -c "^cprof: signal $SIG now has the program's handler; thread dumps use signal $((SIG + 1)) instead$" "$WORK/after.err")" = 1 ] ||
    { cat "$WORK/after.err"; fail "handler-after: expected one line about signal $SIG"; }
finish_app || fail "handler-after exited with $?"
grep -qx 'app handler calls: 0' "$WORK/after.out" || { cat "$WORK/after.out"; fail "the program's handler was called"; }

# start_linked NAME MODE: the helper without the preload (it calls
# cprof_start itself); sets APP_PID and url.
start_linked() {
    mkfifo "$WORK/$1.in"
    "$H" "$2" <"$WORK/$1.in" >"$WORK/$1.out" 2>"$WORK/$1.err" &
    APP_PID=$!
    PIDS+=("$APP_PID")
    exec 9>"$WORK/$1.in"
    wait_for_line "$1" ready
    url=$(sed -n 's/^listening //p' "$WORK/$1.out")
}

# --- linked: the program's handler was there before cprof_start ---
start_linked linked linked-before
curl -sf -o "$WORK/linked.txt" "${url}threads?debug=1" || fail "GET linked threads"
grep -q 'sleeper+0x' "$WORK/linked.txt" || fail "linked: no stacks"
grep -qx "cprof: signal $SIG already has a handler; thread dumps use signal $((SIG + 1)) instead" "$WORK/linked.err" ||
    { cat "$WORK/linked.err"; fail "linked: expected the line about signal $SIG"; }
has_caught $((SIG + 1)) || fail "linked: signal $((SIG + 1)) not caught"
finish_app || fail "linked exited with $?"
grep -qx 'app handler calls: 0' "$WORK/linked.out" || fail "linked: the program's handler was called"

# --- linked: cprof_start from a thread that blocks every signal ---
start_linked masked linked-masked
curl -sf -o "$WORK/masked.txt" "${url}threads?debug=1" || fail "GET masked threads"
grep -q 'sleeper+0x' "$WORK/masked.txt" || { cat "$WORK/masked.err"; fail "masked start: no stacks"; }
grep -q '^cprof: ' "$WORK/masked.err" && grep -v serving "$WORK/masked.err" | grep -q '^cprof: ' &&
    { cat "$WORK/masked.err"; fail "masked start: complaints on stderr"; }
finish_app || fail "masked exited with $?"

# --- CPROF_SIGNAL ---
CPROF_SIGNAL=off start_preloaded off "$H" blocked
wait_for_line off ready
ms=$(timed_get "$BASE/threads?debug=1" "$WORK/off.txt")
[ "$ms" -lt 1000 ] || fail "CPROF_SIGNAL=off: $ms ms"
grep -qE '^threads profile: total [0-9]+$' "$WORK/off.txt" || fail "off: header"
grep -q ' @ ' "$WORK/off.txt" && fail "off: stacks without a signal?"
grep -qE '^# thread [0-9]+: no stack: thread dumps disabled \(CPROF_SIGNAL\)$' "$WORK/off.txt" || fail "off: marker"
has_caught "$SIG" && fail "off: a handler is installed anyway"
finish_app || fail "off exited with $?"

CPROF_SIGNAL=SIGRTMIN+6 start_preloaded rt6 "$H" blocked
wait_for_line rt6 ready
curl -sf -o "$WORK/rt6.txt" "$BASE/threads?debug=1" || fail "GET rt6"
grep -q 'sleeper+0x' "$WORK/rt6.txt" || fail "SIGRTMIN+6: no stacks"
has_caught $((SIG + 3)) || fail "SIGRTMIN+6 not caught"
has_caught "$SIG" && fail "SIGRTMIN+6: the default signal is caught too"
finish_app || fail "rt6 exited with $?"

CPROF_SIGNAL=bogus start_preloaded bogus "$H" blocked
wait_for_line bogus ready
grep -qx "cprof: CPROF_SIGNAL=\"bogus\" is not a usable signal (a number, SIGRTMIN+N, SIGUSR1, SIGUSR2 or off); using $SIG" "$WORK/bogus.err" ||
    { cat "$WORK/bogus.err"; fail "bogus: expected one line"; }
curl -sf -o "$WORK/bogus.txt" "$BASE/threads?debug=1" || fail "GET bogus"
grep -q 'sleeper+0x' "$WORK/bogus.txt" || fail "bogus: no stacks"
finish_app || fail "bogus exited with $?"
