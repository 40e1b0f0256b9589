# ?pid=all past its memory cap (CPROF_MERGE_MAX_KB=4; prefork idle with
# every allocation sampled: three workers whose heap replies are ~3.4 KiB
# each): a 503 with one line naming the cap and what to do instead, and
# X-Go-Pprof: 1; go tool pprof shows that line. The host keeps serving: its
# own heap and a worker's ?pid=N heap are read by go tool pprof, and a
# second ?pid=all gets the same answer, not "another pid=all request is
# being served" (the first one let go of the merge). The default cap
# (64 MiB) merges the same tree.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/procs.sh"

LINE="the processes' profiles together exceed 4 KiB: ask each with ?pid=N"
CPROF_MERGE_MAX_KB=4 start_tree small
w1=$(echo "$WORKERS" | head -n1)
for round in 1 2; do
    curl -s -D "$WORK/all.h" -o "$WORK/all.body" "$BASE/heap?pid=all"
    grep -q '^HTTP/1.1 503 ' "$WORK/all.h" || { cat "$WORK/all.h"; fail "round $round: pid=all over the cap is not a 503"; }
    grep -qi '^X-Go-Pprof: 1' "$WORK/all.h" || fail "round $round: no X-Go-Pprof: 1"
    [ "$(wc -l <"$WORK/all.body")" = 1 ] && [ "$(cat "$WORK/all.body")" = "$LINE" ] ||
        { cat "$WORK/all.body"; fail "round $round: not the one-line reason"; }
done
! go tool pprof -raw "$BASE/heap?pid=all" >/dev/null 2>"$WORK/pprof.err" || fail "go tool pprof read a 503"
grep -qF "503 Service Unavailable - $LINE" "$WORK/pprof.err" || { cat "$WORK/pprof.err"; fail "go tool pprof does not show the reason"; }

# The host keeps serving.
pprof_clean -raw "$BASE/heap" | grep -q '^PeriodType: space bytes' || fail "the master's heap after the 503"
pprof_clean -top -focus=worker_fixed "$BASE/heap?pid=$w1" | grep -q worker_fixed || fail "heap?pid=$w1 after the 503"
kill -0 "$APP_PID" || fail "the master died"
finish_app || fail "prefork (small cap) failed"
! grep -q 'CPROF_MERGE_MAX_KB' "$WORK/small.err" || fail "a good CPROF_MERGE_MAX_KB was complained about"

# The default cap merges the same tree.
start_tree big
curl -sf -o "$WORK/all.pb.gz" "$BASE/heap?pid=all" || fail "pid=all with the default cap"
pprof_clean -raw "$WORK/all.pb.gz" | grep -q '^Comment: cprof pid=all: 4 of 4 processes merged' ||
    fail "the default cap did not merge all 4"
finish_app || fail "prefork (default cap) failed"
