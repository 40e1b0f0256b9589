# Linked mode: cprof_start/cprof_stop from code, no environment; and preload
# mode with bad settings: one stderr line each, only that part disabled, the
# host unaffected.
source "$(dirname "$0")/lib/common.sh"
MiB=1048576

# --- linked ---
mkfifo "$WORK/in"
"$HELPERS/linked" <"$WORK/in" >"$WORK/linked.out" 2>"$WORK/linked.err" &
APP_PID=$!
PIDS+=("$APP_PID")
exec 9>"$WORK/in"
wait_for_line linked ready
url=$(sed -n 's/^listening //p' "$WORK/linked.out")
grep -q "serving" "$WORK/linked.err" || fail "port 0 in linked mode should print the address"
curl -sf -o "$WORK/heap.pb" "${url}heap" || fail "GET heap"
pprof_clean -top -lines -unit=B -sample_index=inuse_space "$WORK/heap.pb" >"$WORK/top.txt"
python3 "$(dirname "$0")/lib/check_sites.py" "$WORK/top.txt" linked_site=$((32 * MiB)) \
    --file-line linked_site=linked.c:17 || fail "linked heap profile"
finish_app || fail "linked exited with $?"
grep -qx stopped "$WORK/linked.out" || fail "linked did not stop cleanly"
curl -s -o /dev/null "${url}heap" && fail "listener still answering after cprof_stop"

# --- preload, bad settings ---
check_bad() { # VAR=VALUE EXPECTED_LINE_REGEX
    env CPROF_ADDR=127.0.0.1:0 "$1" LD_PRELOAD="$LIB" "$HELPERS/alloc_api" \
        >"$WORK/bad.out" 2>"$WORK/bad.err" || fail "$1: host failed"
    grep -qx 'alloc_api ok' "$WORK/bad.out" || fail "$1: host output changed"
    [ "$(grep -c '^cprof: ' "$WORK/bad.err")" -le 2 ] || { cat "$WORK/bad.err"; fail "$1: too chatty"; }
    grep -qE "$2" "$WORK/bad.err" || { cat "$WORK/bad.err"; fail "$1: no line matching $2"; }
    echo "ok: $1"
}
check_bad CPROF_HEAP_RATE=fast '^cprof: CPROF_HEAP_RATE="fast" is not a non-negative integer; heap profiling disabled$'
check_bad CPROF_SEED=-3 '^cprof: CPROF_SEED="-3" is not a positive integer; seeding from the clock$'
check_bad CPROF_ADDR=nonsense '^cprof: pid [0-9]+: HTTP listener disabled: invalid address "nonsense"'
check_bad CPROF_ADDR=1.2.3.4:99999 '^cprof: pid [0-9]+: HTTP listener disabled: invalid port'
check_bad CPROF_ADDR=256.1.1.1:80 '^cprof: pid [0-9]+: HTTP listener disabled'

# heap disabled by a bad rate, listener still serving an empty heap profile
CPROF_HEAP_RATE=bad start_preloaded sites "$HELPERS/heapsites" 8 2 8
wait_for_line sites ready
curl -sf "$BASE/heap?debug=1" | head -n1 | grep -q '^heap profile: 0: 0 \[0: 0\]' || fail "heap not disabled"
finish_app || fail "heapsites with bad rate exited $?"
