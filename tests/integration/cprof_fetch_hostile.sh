# cprof against malicious profile servers (tests/integration/lib/
# cprof_hostile_server.py, two of them, on port 0): credentials in a URL are
# never printed; --token and -H headers do not follow a redirect to another
# host or port; an endless body and a gzip bomb stop at -max_size, each,
# with one line, and memory stays near the cap (max RSS measured).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
SERVER=$ROOT/tests/integration/lib/cprof_hostile_server.py

# start_server NAME BIND: sets PORT.
start_server() {
    python3 "$SERVER" "$WORK/$1.log" "$2" >"$WORK/$1.out" 2>&1 &
    PIDS+=($!)
    PORT=""
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/^port //p' "$WORK/$1.out")
        [ -n "$PORT" ] && return 0
        sleep 0.1
    done
    cat "$WORK/$1.out" >&2
    fail "server $1 did not start"
}
start_server a 127.0.0.1
A=http://127.0.0.1:$PORT
start_server b 127.0.0.2
B=http://127.0.0.2:$PORT

# Credentials in the URL: REDACTED in the progress line and the error.
one_line_error 1 "$CPROF" top "http://bob:hunter2@127.0.0.1:${A##*:}/x?seconds=1&token=s3cret&access_token=t2&q=keep" >/dev/null
grep -q 'hunter2\|s3cret\|t2' "$WORK/err.err" && { cat "$WORK/err.err" >&2; fail "a credential was printed"; }
grep -qF "Fetching profile over HTTP from http://bob:REDACTED@127.0.0.1:${A##*:}/x?seconds=1&token=REDACTED&access_token=REDACTED&q=keep" "$WORK/err.err" ||
    { cat "$WORK/err.err" >&2; fail "progress line not redacted as expected"; }
grep -qF "cprof: http://bob:REDACTED@" "$WORK/err.err" || fail "error line not redacted"
echo "ok: credentials redacted"

# Redirects: to the same origin the headers follow; to another host (and to
# another port of the same host) they do not.
one_line_error 1 "$CPROF" top -H 'X-Api-Key: k1' --token=tt "$A/redirect?to=/same" >/dev/null
grep -A5 '^GET /same' "$WORK/a.log" | grep -q '^X-Api-Key: k1' || fail "-H lost on a same-origin redirect"
one_line_error 1 "$CPROF" top -H 'X-Api-Key: k1' --token=tt "$A/redirect?to=$B/other" >/dev/null
grep -q '^GET /other' "$WORK/b.log" || fail "the redirect was not followed"
grep -qi '^X-Api-Key\|^Authorization' "$WORK/b.log" && { cat "$WORK/b.log" >&2; fail "-H or --token reached another host"; }
start_server c 127.0.0.1
C=http://127.0.0.1:$PORT
one_line_error 1 "$CPROF" top -H 'X-Api-Key: k1' "$A/redirect?to=$C/port" >/dev/null
grep -q '^GET /port' "$WORK/c.log" || fail "the redirect to another port was not followed"
grep -qi '^X-Api-Key' "$WORK/c.log" && fail "-H reached another port"
one_line_error 1 "$CPROF" top "$A/loop" | grep -qx "cprof: $A/loop: http fetch: more than 10 redirects" ||
    fail "redirect loops: wrong message"
echo "ok: headers stay with their origin"

# max_rss_kb CMD...: runs CMD (expected to fail), prints its max RSS in KB.
max_rss_kb() {
    /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >/dev/null 2>"$WORK/cap.err" && fail "$* succeeded"
    grep -v '^Fetching\|^Command exited' "$WORK/cap.err" >"$WORK/cap.msg" || true
    [ "$(wc -l <"$WORK/cap.msg")" = 1 ] || { cat "$WORK/cap.err" >&2; fail "$*: not one line"; }
    tail -n 1 "$WORK/rss"
}
rss=$(max_rss_kb "$CPROF" top -max_size=10M "$A/endless")
grep -qx "cprof: $A/endless: http fetch: reply larger than 10 MiB (-max_size)" "$WORK/cap.msg" ||
    { cat "$WORK/cap.msg" >&2; fail "endless body: wrong message"; }
[ "$rss" -lt 60000 ] || fail "endless body with a 10 MiB cap: max RSS ${rss} KB"
echo "ok: endless body stopped at 10 MiB (max RSS ${rss} KB)"
rss=$(max_rss_kb "$CPROF" top -max_size=10M "$A/bomb?mb=100")
grep -qx "cprof: $A/bomb?mb=100: decompressing profile: larger than 10 MiB" "$WORK/cap.msg" ||
    { cat "$WORK/cap.msg" >&2; fail "gzip bomb: wrong message"; }
[ "$rss" -lt 60000 ] || fail "100 MiB gzip bomb with a 10 MiB cap: max RSS ${rss} KB"
echo "ok: gzip bomb stopped at 10 MiB (max RSS ${rss} KB)"
# The same bomb from a file, and a file over the cap.
curl -s -o "$WORK/bomb.gz" "$A/bomb?mb=100"
rss=$(max_rss_kb "$CPROF" top -max_size=10M "$WORK/bomb.gz")
[ "$rss" -lt 60000 ] || fail "gzip bomb file: max RSS ${rss} KB"
max_rss_kb "$CPROF" top -max_size=1K "$WORK/bomb.gz" >/dev/null
grep -q 'file larger than 1 KiB (-max_size)' "$WORK/cap.msg" || fail "file cap: wrong message"
# Below the cap the bomb is inflated (and is no profile).
max_rss_kb "$CPROF" top -max_size=200M "$WORK/bomb.gz" >/dev/null
grep -q 'malformed profile' "$WORK/cap.msg" || fail "a 200 MiB cap did not let 100 MiB through"
one_line_error 2 "$CPROF" top -max_size=12X "$WORK/bomb.gz" | grep -q 'max_size' || fail "bad -max_size"
echo "PASS cprof_fetch_hostile"
