# Access control in preload mode, configured by environment alone: a token
# (CPROF_TOKEN or CPROF_TOKEN_FILE) guards every endpoint and never shows in
# output; a non-loopback address without a token is refused with one line;
# CPROF_TLS_CERT/KEY serve HTTPS.
source "$(dirname "$0")/lib/common.sh"
TOKEN=pr3load-t0ken
status() { curl -sk -o /dev/null -w '%{http_code}' "$@"; }

CPROF_TOKEN=$TOKEN start_preloaded tok "$HELPERS/heapsites" 4 1 4
wait_for_line tok ready
for p in "" heap allocs "heap?debug=1" cmdline symbol threads "goroutine?debug=2" nosuch; do
    [ "$(status "$BASE/$p")" = 401 ] || fail "$p without token"
    [ "$(status -H "Authorization: Bearer wrong" "$BASE/$p")" = 401 ] || fail "$p wrong token"
    want=200
    [ "$p" = nosuch ] && want=404
    [ "$(status -H "Authorization: Bearer $TOKEN" "$BASE/$p")" = $want ] || fail "$p with token"
done
curl -s -D - "$BASE/heap" | grep -qi '^www-authenticate: Bearer' || fail "no WWW-Authenticate"
finish_app || fail "host exited $?"
grep -q "$TOKEN" "$WORK/tok.err" "$WORK/tok.out" && fail "the token was printed"

echo "$TOKEN" >"$WORK/token"
CPROF_TOKEN_FILE=$WORK/token start_preloaded tokfile "$HELPERS/heapsites" 4 1 4
wait_for_line tokfile ready
[ "$(status "$BASE/heap")" = 401 ] || fail "token file: no token"
[ "$(status -H "Authorization: Bearer $TOKEN" "$BASE/heap")" = 200 ] || fail "token file: token"
finish_app || fail "host exited $?"

# Non-loopback without a token: refused, the host runs on.
env CPROF_ADDR=0.0.0.0:0 LD_PRELOAD="$LIB" "$HELPERS/alloc_api" >"$WORK/open.out" 2>"$WORK/open.err" ||
    fail "host failed"
grep -q '^cprof: pid [0-9]*: HTTP listener disabled: refusing to serve profiles on 0.0.0.0:0 without a token' \
    "$WORK/open.err" || { cat "$WORK/open.err"; fail "non-loopback bind not refused"; }
env CPROF_ADDR=0.0.0.0:0 CPROF_ALLOW_INSECURE=1 LD_PRELOAD="$LIB" "$HELPERS/alloc_api" \
    >"$WORK/open.out" 2>"$WORK/open.err" || fail "host failed"
grep -q 'serving http://0.0.0.0:' "$WORK/open.err" || { cat "$WORK/open.err"; fail "insecure bind"; }

# TLS with a self-signed certificate made here.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1 || fail "openssl"
mkfifo "$WORK/tls.in"
env CPROF_ADDR=127.0.0.1:0 CPROF_TLS_CERT="$WORK/cert.pem" CPROF_TLS_KEY="$WORK/key.pem" \
    CPROF_TOKEN=$TOKEN LD_PRELOAD="$LIB" "$HELPERS/heapsites" 4 1 4 \
    <"$WORK/tls.in" >"$WORK/tls.out" 2>"$WORK/tls.err" &
APP_PID=$!
PIDS+=("$APP_PID")
exec 9>"$WORK/tls.in"
wait_for_line tls ready
url=$(sed -n 's|^cprof: pid [0-9]* serving \(https://[^ ]*\)$|\1|p' "$WORK/tls.err")
[ -n "$url" ] || { cat "$WORK/tls.err"; fail "no https listener"; }
port=$(echo "$url" | sed 's|https://127.0.0.1:\([0-9]*\)/.*|\1|')
# verified against the certificate, not -k
curl -sf --cacert "$WORK/cert.pem" --resolve "localhost:$port:127.0.0.1" \
    -H "Authorization: Bearer $TOKEN" "https://localhost:$port/debug/pprof/heap?debug=1" \
    -o "$WORK/tls.txt" || fail "https GET"
head -n1 "$WORK/tls.txt" | grep -q '^heap profile:' || fail "https body"
finish_app || fail "host exited $?"
