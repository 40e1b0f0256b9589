# cprof watch --profiles ...,threadcreate follows the threads each creator
# stack created (the cumulative threadcreate profile) with the same trend
# test: a program that starts a short-lived thread per 100 ms (thread count
# flat) is reported, "threads created by this stack keep growing", at the
# creating call (spawn_job's pthread_create line), exit 1, and nothing else
# is a suspect; a pool of 6 threads started at once is no suspect (exit
# 0). The saved snapshots, read back as files, give the same verdict (files
# bring every kind they hold).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/watch.sh"
SRC=$ROOT/tests/helpers/watch_targets.c
start_target churn "$HELPERS/watch_targets" thread-churn
start_target cache "$HELPERS/watch_targets" cache
start_watch churn --interval 0.5s --duration 12s --profiles threads,heap,threadcreate
start_watch cache --interval 0.5s --duration 12s --profiles threadcreate,threads

finish_watch churn
[ "$WATCH_RC" = 1 ] || { cat "$WORK/churn.report" "$WORK/churn.progress"; fail "churn: exit $WATCH_RC, want 1"; }
line=$(line_of "$SRC" 'if (pthread_create(&t, NULL, run_job, NULL) == 0)')
grep -q '^Verdict: 1 leak\.$' "$WORK/churn.report" || { cat "$WORK/churn.report"; fail "churn: not exactly one suspect"; }
grep -qE "^LEAK 1: threadcreate \+[0-9.]+ threads created/min +\([0-9]+ -> [0-9]+ created over" "$WORK/churn.report" ||
    { cat "$WORK/churn.report"; fail "churn: rate line"; }
grep -qx '    threads created by this stack keep growing:' "$WORK/churn.report" ||
    { cat "$WORK/churn.report"; fail "churn: wording"; }
grep -qE "^  created +spawn_job \(watch_targets\.c:$line\) \+" "$WORK/churn.report" ||
    { cat "$WORK/churn.report"; fail "churn: verdict does not name spawn_job at watch_targets.c:$line"; }
grep -qE '^watch +12s/12s +threads [0-9]+ .* threadcreate [0-9]+ \(\+[0-9]+\)' "$WORK/churn.progress" ||
    { tail -2 "$WORK/churn.progress"; fail "churn: progress line"; }

finish_watch cache
[ "$WATCH_RC" = 0 ] || { cat "$WORK/cache.report"; fail "cache: exit $WATCH_RC, want 0"; }
grep -q '^Verdict: no leak\. No stack.s threads, threads created or in-use memory kept growing\.$' \
    "$WORK/cache.report" || { cat "$WORK/cache.report"; fail "cache: verdict"; }
for mode in churn cache; do stop_target "$mode"; done

# Files: the churn's saved snapshots, every kind among them.
rc=0
"$CPROF" watch "$WORK/churn.snaps"/*.pb.gz >"$WORK/files.txt" 2>"$WORK/files.err" || rc=$?
[ "$rc" = 1 ] || { cat "$WORK/files.txt" "$WORK/files.err"; fail "files: exit $rc, want 1"; }
grep -qE "^  created +spawn_job \(watch_targets\.c:$line\) \+" "$WORK/files.txt" ||
    { cat "$WORK/files.txt"; fail "files: spawn_job"; }
grep -q '^Verdict: 1 leak\.$' "$WORK/files.txt" || { cat "$WORK/files.txt"; fail "files: one suspect"; }
echo "thread churn found at spawn_job (watch_targets.c:$line); a thread pool is not"
