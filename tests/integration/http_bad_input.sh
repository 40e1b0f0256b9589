# Bad input gets a clear 4xx with a one-line reason in Go's style, and the
# host keeps running with its memory untouched.
source "$(dirname "$0")/lib/common.sh"
CPROF_HEAP_RATE=4096 start_preloaded sites "$HELPERS/heapsites" 8 2 16
wait_for_line sites ready

# expect STATUS BODY_REGEX CURL_ARGS...: status, body, and Go's error headers.
expect() {
    local status=$1 body=$2
    shift 2
    local got
    got=$(curl -s -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' "$@") || fail "curl $*"
    [ "$got" = "$status" ] || fail "$*: status $got, wanted $status ($(head -c 200 "$WORK/b"))"
    grep -qE "$body" "$WORK/b" || fail "$*: body $(head -c 200 "$WORK/b") !~ $body"
    grep -qi '^x-content-type-options: nosniff' "$WORK/h" || fail "$*: no nosniff"
    if [ "${status:0:1}" = 4 ]; then
        grep -qi '^x-go-pprof: 1' "$WORK/h" || fail "$*: error without X-Go-Pprof"
        grep -qi '^content-type: text/plain; charset=utf-8' "$WORK/h" || fail "$*: error type"
        [ "$(wc -l <"$WORK/b")" = 1 ] || fail "$*: error body is not one line"
    fi
    echo "ok: $* -> $status"
}

expect 404 '^Unknown profile$' "$BASE/nosuchprofile"
expect 404 '^Unknown profile$' "$BASE/heap/extra"
expect 400 'invalid value for "debug"' "$BASE/heap?debug=abc"
expect 400 'invalid value for "debug"' "$BASE/heap?debug=-1"
expect 400 'invalid value for "debug"' "$BASE/allocs?debug=1%00"
expect 400 'invalid value for "seconds"' "$BASE/heap?seconds=x"
expect 400 'seconds' "$BASE/peak?seconds=5"
expect 405 'method not allowed' -X DELETE "$BASE/heap"
expect 200 '^num_symbols: 1$' "$BASE/symbol"
expect 400 'no valid address' --data-binary 'hello+world' "$BASE/symbol"
# garbage mixed with valid addresses: only the valid, resolvable lines
main_addr=$(nm "$HELPERS/heapsites" | awk '$3 == "main" {print $1}')
[ -n "$main_addr" ] || fail "no main in heapsites"
# heapsites is PIE: take its load address from the process maps
base=$(awk '/heapsites/ && $3 == "00000000" {split($1, r, "-"); print r[1]; exit}' /proc/$APP_PID/maps)
addr=$(printf '0x%x' $((0x$base + 0x$main_addr + 4)))
expect 200 "^$addr main$" --data-binary "zzz+$addr+0x10+++%%" "$BASE/symbol"
[ "$(wc -l <"$WORK/b")" = 2 ] || fail "symbol: expected header + one line, got $(cat "$WORK/b")"
# oversized bodies are refused, declared or not
head -c $((2 * 1024 * 1024)) /dev/zero >"$WORK/big"
expect 413 'too large' --data-binary @"$WORK/big" "$BASE/symbol"
expect 413 'too large' -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/big" "$BASE/symbol"
# a flood of bad requests does not disturb the host
for _ in $(seq 1 100); do
    curl -s -o /dev/null "$BASE/heap?debug=zz" &
    a=$!
    curl -s -o /dev/null --data-binary 'x+y+z' "$BASE/symbol" &
    b=$!
    wait "$a" "$b"
done
expect 200 'heap profile' "$BASE/heap?debug=1"
kill -0 "$APP_PID" || fail "host died"
finish_app || fail "heapsites exited $? (3 = its memory changed)"
grep -qx verified "$WORK/sites.out" || fail "heapsites did not verify its memory"
