# /debug/pprof/block: known waits on a condition variable (20 x ~30 ms)
# and a semaphore (20 x ~20 ms), timed by the helper itself, show in the
# profile's delay within 10 % and as 15-20 contentions each, at
# CPROF_BLOCK_RATE=1 and at the default rate (10 ms: these waits are all
# longer, so all recorded); go tool pprof reads the proto and Go's debug=1
# text ("--- contention:") and agrees with cprof top; CPROF_BLOCK_RATE=0
# records nothing.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"

# run_sites NAME [RATE]: the helper (no RATE: the default), its measured
# waits in COND_NS, SEM_NS.
run_sites() {
    local name=$1
    if [ $# -gt 1 ]; then
        CPROF_BLOCK_RATE=$2 start_preloaded "$name" "$HELPERS/blocksites" 20
    else
        start_preloaded "$name" "$HELPERS/blocksites" 20
    fi
    wait_for_line "$name" ready
    COND_NS=$(helper_value cond_ns "$WORK/$name.out")
    SEM_NS=$(helper_value sem_ns "$WORK/$name.out")
    [ -n "$COND_NS" ] && [ -n "$SEM_NS" ] || fail "no measured waits"
}

# check_delays FILE: wait_cond's and wait_sem's delay within 10 % of the
# measured waits, 20 contentions each.
check_delays() {
    pprof_clean -top -sample_index=delay -unit=ms "$1" >"$WORK/delay.top"
    local c=$(flat_ms wait_cond "$WORK/delay.top") s=$(flat_ms wait_sem "$WORK/delay.top")
    awk -v c="$c" -v s="$s" -v mc="$COND_NS" -v ms="$SEM_NS" 'BEGIN {
        mc /= 1e6; ms /= 1e6
        printf "cond %.1f ms (measured %.1f), sem %.1f ms (measured %.1f)\n", c, mc, s, ms > "/dev/stderr"
        exit (c < 0.9 * mc || c > 1.1 * mc || s < 0.9 * ms || s > 1.1 * ms) ? 1 : 0
    }' || { cat "$WORK/delay.top"; fail "delays of $1"; }
    pprof_clean -top -sample_index=contentions "$1" >"$WORK/count.top"
    # 20 waits each, less any the loaded machine let find its ticket already
    # there (a semaphore taken at once is no wait)
    for f in wait_cond wait_sem; do
        awk -v f=$f '$NF == f && $1 >= 15 && $1 <= 20 { ok = 1 } END { exit !ok }' "$WORK/count.top" ||
            { cat "$WORK/count.top"; fail "$f count in $1"; }
    done
}

run_sites one 1
curl -sf -o "$WORK/b.pb" "$BASE/block" || fail "GET /block"
curl -sf -o "$WORK/b.txt" "$BASE/block?debug=1" || fail "GET /block?debug=1"
head -n2 "$WORK/b.txt" | tr '\n' '|' | grep -qx -- '--- contention:|cycles/second=1000000000|' ||
    fail "debug=1 header: $(head -n2 "$WORK/b.txt")"
grep -qP '^#\t0x[0-9a-f]+\twait_sem\+0x[0-9a-f]+\t.*blocksites.c:[0-9]+$' "$WORK/b.txt" || fail "no wait_sem frame line"
check_delays "$WORK/b.pb"
check_delays "$WORK/b.txt"
grep -qE '^ +[0-9]+ .* join_waiters$' "$WORK/count.top" || fail "pthread_join not recorded"
pprof_clean -raw "$WORK/b.pb" >"$WORK/b.raw"
grep -A1 '^Samples:' "$WORK/b.raw" | grep -qx 'contentions/count delay/nanoseconds' || fail "sample types"
grep -qx 'PeriodType: contentions count' "$WORK/b.raw" || fail "period type"
for si in contentions delay; do
    top_agrees "$WORK/b.pb" "$WORK/b.txt" ' (wait_|join_)' -sample_index=$si
done
curl -sf "$BASE/" | grep -q 'Stack traces that led to blocking on synchronization primitives' || fail "index entry"
finish_app || fail "blocksites exited with $?"

run_sites default
curl -sf -o "$WORK/bd.pb" "$BASE/block" || fail "GET /block (default rate)"
check_delays "$WORK/bd.pb"
finish_app || fail "blocksites exited with $?"

run_sites off 0
curl -sf -o "$WORK/b0.pb" "$BASE/block" || fail "GET /block (off)"
pprof_clean -raw "$WORK/b0.pb" | grep -q 'wait_' && fail "CPROF_BLOCK_RATE=0 recorded waits"
finish_app || fail "blocksites exited with $?"
