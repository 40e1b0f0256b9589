# /metrics on the built-in listener: CPROF_METRICS_PATH=off leaves only
# /debug/pprof/metrics; a malformed value is one stderr line and the default;
# the token guards /metrics like every endpoint; HEAD is served, POST is a
# 405 in Go's error style; the request counters count the scrapes.
source "$(dirname "$0")/lib/common.sh"

CPROF_METRICS_PATH=off start_preloaded off "$HELPERS/cpu_split"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
[ "$code" = 404 ] || fail "CPROF_METRICS_PATH=off: /metrics answered $code"
curl -sf "$BASE/metrics" | grep -q '^process_threads [0-9]' || fail "/debug/pprof/metrics with off"
! grep -q METRICS "$WORK/off.err" || { cat "$WORK/off.err"; fail "off printed a line"; }
finish_app || fail "exit status"

CPROF_METRICS_PATH=metrics start_preloaded bad "$HELPERS/cpu_split"
[ "$(grep -c 'CPROF_METRICS_PATH' "$WORK/bad.err")" = 1 ] || { cat "$WORK/bad.err"; fail "want one line for a bad CPROF_METRICS_PATH"; }
grep -q '^cprof: CPROF_METRICS_PATH="metrics" is not a URL path like /metrics, or off; using /metrics$' "$WORK/bad.err" ||
    { cat "$WORK/bad.err"; fail "the line"; }
curl -sf "http://127.0.0.1:$PORT/metrics" | grep -q '^process_threads [0-9]' || fail "default kept"
finish_app || fail "exit status"

CPROF_TOKEN=t0ken start_preloaded tok "$HELPERS/cpu_split"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
[ "$code" = 401 ] || fail "no token: $code"
auth=(-H "Authorization: Bearer t0ken")
curl -sfD "$WORK/h.txt" -o "$WORK/m.txt" "${auth[@]}" "http://127.0.0.1:$PORT/metrics" || fail "with token"
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$WORK/h.txt" || fail "content type"
curl -sfI "${auth[@]}" "http://127.0.0.1:$PORT/metrics" >/dev/null || fail "HEAD"
curl -s -D "$WORK/p.txt" -o "$WORK/p.body" -X POST "${auth[@]}" "http://127.0.0.1:$PORT/metrics"
head -n1 "$WORK/p.txt" | grep -q ' 405' && grep -qi '^X-Go-Pprof: 1' "$WORK/p.txt" || { cat "$WORK/p.txt"; fail "POST"; }
curl -sf "${auth[@]}" "http://127.0.0.1:$PORT/metrics" >"$WORK/m2.txt"
grep -q '^cprof_http_requests_total{path="/metrics",code="200"} [2-9]' "$WORK/m2.txt" || { grep requests "$WORK/m2.txt"; fail "request counter"; }
grep -q '^cprof_http_requests_total{path="/metrics",code="405"} 1$' "$WORK/m2.txt" || fail "405 counted"
promtool check metrics <"$WORK/m2.txt" || fail "promtool"
finish_app || fail "exit status"
