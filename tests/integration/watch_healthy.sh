# cprof watch raises no false alarm on three healthy programs that a
# two-snapshot comparison would flag: steady churn at many sizes, an LRU
# cache that fills to 24 MiB in its first seconds and then stays full (with
# a pool of threads started at once), and a buffer grown to 16 MiB and
# freed, again and again. All three at once, 1 s snapshots for 40 s: exit
# status 0 and "no leak" each. The cache was a suspect while it filled and
# is cleared once it plateaus.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/watch.sh"
for mode in steady cache grow-free; do
    start_target "$mode" "$HELPERS/watch_targets" "$mode"
done
for mode in steady cache grow-free; do
    start_watch "$mode" --interval 1s --duration 40s
done
for mode in steady cache grow-free; do
    finish_watch "$mode"
    rc=$WATCH_RC
    [ "$rc" = 0 ] || { cat "$WORK/$mode.report" "$WORK/$mode.progress"; fail "$mode: exit $rc, want 0"; }
    grep -q '^Verdict: no leak\.' "$WORK/$mode.report" || { cat "$WORK/$mode.report"; fail "$mode: verdict"; }
    ! grep -q '^LEAK' "$WORK/$mode.report" || { cat "$WORK/$mode.report"; fail "$mode: a suspect"; }
    # it did watch: 41 snapshots, the heap grew for the cache
    grep -q '^cprof watch: 41 snapshots over 40s' "$WORK/$mode.report" ||
        { head -1 "$WORK/$mode.report"; fail "$mode: snapshot count"; }
    [ "$(ls "$WORK/$mode.snaps" | grep -c '\.pb\.gz$')" = 82 ] || fail "$mode: saved snapshots"
done
grep -qE '^watch +40s/40s +threads 8 ' "$WORK/cache.progress" || { tail -3 "$WORK/cache.progress"; fail "cache: thread pool"; }
for mode in steady cache grow-free; do stop_target "$mode"; done
echo "steady, cache, grow-free: no leak"
