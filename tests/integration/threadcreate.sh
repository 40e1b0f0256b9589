# /debug/pprof/threadcreate: every thread the program created since start,
# by creator stack, exited threads included (7 from create_exiting, all
# gone; 3 from create_waiting, alive), cprof's own threads not counted.
# Proto and Go's debug=1 text; go tool pprof -top and cprof top agree; the
# index lists it with Go's description; threadcreate?seconds=N is a delta.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
start_preloaded sites "$HELPERS/threadsites" 7 3
wait_for_line sites ready
# Scrapes create cprof connection threads: they must not show.
curl -sf -o /dev/null "$BASE/goroutine" || fail "GET /goroutine"
curl -sf -o "$WORK/tc.pb" "$BASE/threadcreate" || fail "GET /threadcreate"
curl -sf -o "$WORK/tc.txt" "$BASE/threadcreate?debug=1" || fail "GET /threadcreate?debug=1"
head -n1 "$WORK/tc.txt" | grep -qx 'threadcreate profile: total 10' ||
    fail "debug=1 header: $(head -n1 "$WORK/tc.txt")"
# Records by count, largest first, each with its frames.
grep -E '^[0-9]+ @( 0x[0-9a-f]+)+$' "$WORK/tc.txt" | cut -d' ' -f1 | tr '\n' ' ' | grep -qx '7 3 ' ||
    { cat "$WORK/tc.txt"; fail "records are not 7 then 3"; }
grep -qP '^#\t0x[0-9a-f]+\tcreate_exiting\+0x[0-9a-f]+\t.*threadsites.c:[0-9]+$' "$WORK/tc.txt" ||
    { cat "$WORK/tc.txt"; fail "no create_exiting frame line"; }
grep -qx -- '--- Memory map: ---' "$WORK/tc.txt" || fail "no memory map section"

"$CPROF" top "$WORK/tc.pb" >"$WORK/cprof.top" 2>"$WORK/cprof.err" || { cat "$WORK/cprof.err"; fail "cprof top"; }
table_rows "$WORK/cprof.top" >"$WORK/cprof.rows"
grep -qE '^ +7 +70\.00% .* create_exiting$' "$WORK/cprof.rows" || { cat "$WORK/cprof.top"; fail "create_exiting 7"; }
grep -qE '^ +3 +30\.00% .* create_waiting$' "$WORK/cprof.rows" || { cat "$WORK/cprof.top"; fail "create_waiting 3"; }
top_agrees "$WORK/tc.pb" "$WORK/tc.txt" ' create_'
pprof_clean -raw "$WORK/tc.pb" >"$WORK/tc.raw"
grep -A1 '^Samples:' "$WORK/tc.raw" | grep -qx 'threadcreate/count' || fail "sample type"
grep -qx 'PeriodType: threadcreate count' "$WORK/tc.raw" || fail "period type"

curl -sf "$BASE/" >"$WORK/index.html" || fail "GET index"
grep -q "href='threadcreate?debug=1'>threadcreate</a>" "$WORK/index.html" || grep -q 'threadcreate?debug=1' "$WORK/index.html" || fail "index lacks threadcreate"
grep -q 'Stack traces that led to the creation of new OS threads' "$WORK/index.html" || fail "index description"

# A delta over 1 s with no new thread has no samples; the snapshot is unchanged.
curl -sf -o "$WORK/delta.pb" "$BASE/threadcreate?seconds=1" || fail "GET threadcreate?seconds=1"
pprof_clean -raw "$WORK/delta.pb" >"$WORK/delta.raw"
grep -q 'create_' "$WORK/delta.raw" && { cat "$WORK/delta.raw"; fail "delta has samples"; }
curl -sf "$BASE/threadcreate?debug=1" | head -n1 | grep -qx 'threadcreate profile: total 10' || fail "total changed"
finish_app || fail "threadsites exited with $?"
