# `make demo`'s script ends with the right verdict for both daemons: the
# leaky one names subscribe_new_tasks at leaky.c:LINE, created by cron_tick,
# exit status 1; the fixed one has no leak, exit status 0. (Watched 16 s
# each here instead of 30.)
source "$(dirname "$0")/lib/common.sh"
command -v redis-server >/dev/null || fail "redis-server missing (scripts/install-deps.sh)"
rc=0
CPROF_DEMO_SECONDS=16 CPROF_DEMO_DIR=$WORK/demo "$ROOT/scripts/demo.sh" >"$WORK/demo.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/demo.txt"; fail "demo exited with $rc"; }
SRC=$ROOT/examples/leaky-subscriber/leaky.c
wait_line=$(grep -n 'redisGetReply(c, &msg)' "$SRC" | cut -d: -f1)
create_line=$(grep -n 'pthread_create(&t, &attr, subscribe_new_tasks' "$SRC" | cut -d: -f1)
grep -qE "^   \|   threads subscribe_new_tasks \(leaky\.c:$wait_line\) \+[0-9.]+ threads/min, created by cron_tick \(leaky\.c:$create_line\)$" "$WORK/demo.txt" ||
    { cat "$WORK/demo.txt"; fail "leaky verdict"; }
grep -q '^   exit status 1 ' "$WORK/demo.txt" || fail "leaky exit status"
grep -q '^   | Verdict: no leak\.' "$WORK/demo.txt" || { cat "$WORK/demo.txt"; fail "fixed verdict"; }
grep -q '^   exit status 0$' "$WORK/demo.txt" || fail "fixed exit status"
[ "$(grep -c '^   | Verdict' "$WORK/demo.txt")" = 2 ] || fail "two verdicts"
ls "$WORK/demo/leaky"/*.threads.*.pb.gz >/dev/null && [ -s "$WORK/demo/leaky.html" ] || fail "kept snapshots and report"
# the offline command the demo suggests gives the same verdict
rc=0
"$ROOT/build/cprof" watch "$WORK/demo/leaky"/* >"$WORK/offline.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q 'created by cron_tick' "$WORK/offline.txt" || { cat "$WORK/offline.txt"; fail "offline verdict"; }
echo "demo: leaky -> subscribe_new_tasks (leaky.c:$wait_line) created by cron_tick (leaky.c:$create_line); fixed -> no leak"
