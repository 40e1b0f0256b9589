# cprof watch on a service with four heap sites at once (issue 19): churn
# at ~25 MiB/s, a 24 MiB LRU cache, a 16 MiB buffer freed every ~15 s,
# and, in the leaky run, two leaks at their own sites: remember_order
# (~5.9 MiB/min of 1 KiB blocks) and log_rare_failure, a rare path keeping
# a 48 KiB block every 2 s (~1.4 MiB/min, sampled ~9 % of the time at the
# default rate: a few steps a minute, too few for the rank test in most
# 120 s windows, so usually found by the never-frees rule). Both
# services have been up 20 s when the watch starts; 5 s snapshots for 120 s,
# both runs at once (~2.5 min). Leaky: both leaks named at their file:line,
# exit status 1; healthy: exit status 0, no suspect. The simulator's rate
# for the rare leak being missed in such a watch is ~1 % (no sampled 48 KiB
# block in 120 s, or fewer than two over the site's life).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/watch.sh"
SRC=$ROOT/tests/helpers/watch_targets.c
start_target leaky "$HELPERS/watch_targets" service-leaks
start_target healthy "$HELPERS/watch_targets" service
sleep 20
for name in leaky healthy; do
    start_watch "$name" --interval 5s --duration 120s -v
done

finish_watch leaky
[ "$WATCH_RC" = 1 ] || { cat "$WORK/leaky.report" "$WORK/leaky.progress"; fail "leaky: exit $WATCH_RC, want 1"; }
grep -q '^Verdict: 2 leaks\.$' "$WORK/leaky.report" || { cat "$WORK/leaky.report"; fail "leaky: not exactly two leaks"; }
check_site() { # FUNCTION SOURCE-TEXT
    local line
    line=$(line_of "$SRC" "$2")
    grep -qE "^  heap +$1 \(watch_targets\.c:$line\) \+" "$WORK/leaky.report" ||
        { cat "$WORK/leaky.report"; fail "leaky: verdict does not name $1 at watch_targets.c:$line"; }
}
check_site remember_order 'char *o = malloc(1024);'
check_site log_rare_failure 'char *ctx = malloc(48 << 10);'

finish_watch healthy
[ "$WATCH_RC" = 0 ] || { cat "$WORK/healthy.report" "$WORK/healthy.progress"; fail "healthy: exit $WATCH_RC, want 0"; }
grep -q '^Verdict: no leak\.' "$WORK/healthy.report" || { cat "$WORK/healthy.report"; fail "healthy: verdict"; }
! grep -q '^LEAK' "$WORK/healthy.report" || { cat "$WORK/healthy.report"; fail "healthy: a suspect"; }
for name in leaky healthy; do
    grep -q '^cprof watch: 25 snapshots over 120s' "$WORK/$name.report" ||
        { head -1 "$WORK/$name.report"; fail "$name: snapshot count"; }
    stop_target "$name"
done
grep -E '^LEAK' "$WORK/leaky.report"
echo "service: both leaks named, exit 1; without them: exit 0"
