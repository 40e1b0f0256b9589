# The two embedding examples (libmicrohttpd, libevent evhttp) serve every
# cprof endpoint under /admin/pprof behind their own auth: 401 without it,
# Go's contract with it (curl with a bearer header; go tool pprof pointed at
# the mounted URL, with the token in the query since it cannot send
# headers); the application's own routes keep working.
source "$(dirname "$0")/lib/common.sh"
export ADMIN_TOKEN=adm1n-t0ken

check_example() { # NAME
    local name=$1 url
    "$ROOT/build/examples/$name/server" 0 >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    url=$(wait_printed "$WORK/$name.out" "listening on ")
    [ -n "$url" ] || { cat "$WORK/$name.err"; fail "$name did not start"; }
    local auth=(-H "Authorization: Bearer $ADMIN_TOKEN")
    code() { curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "$@"; }

    [ "$(code "${url%/admin/pprof/}/")" = 200 ] || fail "$name: the app's own route"
    [ "$(code "${url}heap")" = 401 ] || fail "$name: no auth must be 401"
    [ "$(code -H 'Authorization: Bearer nope' "${url}heap")" = 401 ] || fail "$name: wrong token"
    [ "$(code "${auth[@]}" "$url")" = 200 ] || fail "$name: index"
    grep -q 'heap?debug=1' "$WORK/body" || fail "$name: index links"
    [ "$(code "${auth[@]}" "${url}heap")" = 200 ] || fail "$name: heap"
    grep -qi '^content-type: application/octet-stream' "$WORK/headers" || fail "$name: heap type"
    grep -qi '^content-disposition: attachment; filename="heap"' "$WORK/headers" || fail "$name: disposition"
    [ "$(code "${auth[@]}" "${url}allocs?debug=1")" = 200 ] || fail "$name: allocs text"
    head -n1 "$WORK/body" | grep -q '^heap profile:' || fail "$name: allocs text body"
    [ "$(code "${auth[@]}" "${url}nosuch")" = 404 ] || fail "$name: unknown profile"
    grep -qx 'Unknown profile' "$WORK/body" || fail "$name: 404 body"
    grep -qi '^x-go-pprof: 1' "$WORK/headers" || fail "$name: X-Go-Pprof"
    [ "$(code "${auth[@]}" "${url}heap?debug=x")" = 400 ] || fail "$name: bad debug"
    [ "$(code "${auth[@]}" --data-binary '0x1+junk' "${url}symbol")" = 200 ] || fail "$name: symbol POST"
    grep -q '^num_symbols: 1' "$WORK/body" || fail "$name: symbol body"
    [ "$(code "${auth[@]}" "${url}cmdline")" = 200 ] || fail "$name: cmdline"
    grep -q "server" "$WORK/body" || fail "$name: cmdline body"
    # go tool pprof cannot send headers: the token goes in the query.
    pprof_clean -top "${url}heap?token=$ADMIN_TOKEN" >"$WORK/top.txt"
    grep -q 'Type: inuse_space' "$WORK/top.txt" || { cat "$WORK/top.txt"; fail "$name: pprof"; }
    pprof_clean -raw "${url}allocs?token=$ADMIN_TOKEN" >/dev/null
    kill "$pid"
    wait "$pid" || true
    PIDS=()
    echo "ok: $name"
}
check_example embed-microhttpd
check_example embed-libevent
