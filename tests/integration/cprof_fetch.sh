# cprof fetches profiles over HTTP: from a live libcprof server `cprof top
# URL` prints the table go tool pprof prints for the same bytes, and saves
# them under $CPROF_HOME named by program and types; errors are one line
# (404 with the server's X-Go-Pprof text, 400 for -seconds on peak, 401,
# connection refused, timeout); label filters on libcprof's threads profile
# print what pprof prints. Against a libcprof server with CPROF_TOKEN:
# 401 without --token, the profile with it. Against a stand-in server:
# --token and -H reach the server, -seconds becomes the query parameter.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
export CPROF_HOME=$WORK/saved

CPROF_HEAP_RATE=4096 start_preloaded sites "$HELPERS/heapsites" 8 2 64
wait_for_line sites ready
"$CPROF" top "$BASE/heap" >"$WORK/top.txt" 2>"$WORK/top.err" || { cat "$WORK/top.err"; fail "cprof top URL"; }
grep -q ' site_a$' "$WORK/top.txt" || { cat "$WORK/top.txt"; fail "site_a missing"; }
grep -qx "Fetching profile over HTTP from $BASE/heap" "$WORK/top.err" || fail "no fetching line"
saved=$(sed -n 's/^Saved profile in //p' "$WORK/top.err")
case $saved in
"$WORK"/saved/cprof.heapsites.alloc_objects.alloc_space.inuse_objects.inuse_space.*.pb.gz) ;;
*) cat "$WORK/top.err"; fail "saved as '$saved'" ;;
esac
pprof_clean -top "$saved" >"$WORK/pprof.txt"
diff <(table_rows "$WORK/pprof.txt") <(table_rows "$WORK/top.txt") >&2 ||
    fail "cprof top URL differs from go tool pprof -top on the same profile"
[ -n "$(table_rows "$WORK/top.txt")" ] || fail "empty table"
# Same again in pprof's host:port/path form, with a flag-style report.
"$CPROF" -top -sample_index=alloc_space "127.0.0.1:$PORT/debug/pprof/allocs" 2>/dev/null |
    grep -q '^Type: alloc_space$' || fail "host:port/path source"
[ "$(ls "$WORK/saved" | wc -l)" = 2 ] || fail "every fetched profile is saved"

# Label filters on libcprof's threads profile (string labels: name, state,
# cprof=internal) print what pprof prints for the same bytes.
"$CPROF" top "$BASE/threads" >/dev/null 2>"$WORK/threads.err" || fail "cprof top threads"
threads=$(sed -n 's/^Saved profile in //p' "$WORK/threads.err")
[ -f "$threads" ] || fail "threads profile not saved"
same_output -tags "$threads"
same_output -top -tagignore=cprof=internal "$threads"
same_output -traces -tagfocus=state=sleeping,running -taghide=leaf "$threads"
same_output -top -tagfocus='name:cprof' -tagshow=state "$threads"

one_line_error 1 "$CPROF" top "$BASE/nosuch" |
    grep -qx "cprof: $BASE/nosuch: server response: 404 Not Found - Unknown profile" ||
    fail "404: $(cat "$WORK/err.msg")"
one_line_error 1 "$CPROF" top -seconds=2 "$BASE/peak" |
    grep -q 'server response: 400 Bad Request - "seconds" parameter is not supported' ||
    fail "-seconds: $(cat "$WORK/err.msg")"
finish_app || fail "heapsites exited with $?"
one_line_error 1 "$CPROF" top "$BASE/heap" | grep -q 'connection refused' ||
    fail "refused: $(cat "$WORK/err.msg")"

# A libcprof server that wants a bearer token: 401 without it, fine with it.
CPROF_TOKEN=s3cret-token CPROF_HEAP_RATE=4096 start_preloaded guarded "$HELPERS/heapsites" 1 1 1
wait_for_line guarded ready
one_line_error 1 "$CPROF" top "$BASE/heap" | grep -q "server response: 401 Unauthorized" ||
    fail "401 from libcprof: $(cat "$WORK/err.msg")"
"$CPROF" top --token=s3cret-token "$BASE/heap" 2>/dev/null | grep -q ' main$' ||
    fail "fetch with --token from libcprof"
finish_app || fail "heapsites (token) exited with $?"

# The stand-in server: authentication and extra headers.
python3 "$ROOT/tests/integration/lib/cprof_http_server.py" "$saved" "$WORK/requests.log" \
    >"$WORK/server.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
    SPORT=$(sed -n 's/^port //p' "$WORK/server.out")
    [ -n "$SPORT" ] && break
    sleep 0.1
done
[ -n "$SPORT" ] || fail "stand-in server did not start"
URL=http://127.0.0.1:$SPORT/debug/pprof/heap
one_line_error 1 "$CPROF" top "$URL" | grep -qx "cprof: $URL: server response: 401 Unauthorized" ||
    fail "401: $(cat "$WORK/err.msg")"
"$CPROF" top --token secret -H 'X-Test: yes' -seconds 3 "$URL" >"$WORK/auth.txt" 2>"$WORK/auth.err" ||
    { cat "$WORK/auth.err"; fail "fetch with token and header"; }
diff <(table_rows "$WORK/pprof.txt") <(table_rows "$WORK/auth.txt") >&2 || fail "table over the stand-in"
grep -qx 'Authorization: Bearer secret' "$WORK/requests.log" || fail "token not sent"
grep -qx 'X-Test: yes' "$WORK/requests.log" || fail "header not sent"
grep -qx 'GET /debug/pprof/heap?seconds=3' "$WORK/requests.log" || fail "seconds not sent"
start=$(date +%s)
one_line_error 1 "$CPROF" top -timeout=1 "http://127.0.0.1:$SPORT/slow" | grep -q 'timed out' ||
    fail "timeout: $(cat "$WORK/err.msg")"
[ $(($(date +%s) - start)) -lt 15 ] || fail "the timeout was not honoured"
