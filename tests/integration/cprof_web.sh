# cprof's web UI end to end: `cprof -http=127.0.0.1:0` on real Go profiles,
# checked with curl (status codes and one-line reasons for bad requests,
# clean shutdown on SIGINT) and in Debian's headless Chromium through
# playwright-core (tests/web/ui.spec.mjs: top sorting, sample type switch,
# flame graph zoom/search, red/green diff with signed hover text, call graph
# fitted/pan/zoom/click, the refine menu (focus, ignore, show_from), peek,
# search highlighting in top/graph/source/peek, source view, Refresh of a
# URL source whose profile changes). Screenshots are kept in
# build/test-artifacts/web/.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
ARTIFACTS=$ROOT/build/test-artifacts/web

need_web_deps playwright-core

go_profiles "$WORK/go"
export CPROF_HOME=$WORK/saved

# The servers run a cprof built with ASan and UBSan (as cprof_malformed.sh
# does): a memory error, or a leak at shutdown, fails the test.
WEB_CPROF=$ROOT/build/asan/cprof # built by make asan
[ -x "$WEB_CPROF" ] || fail "$WEB_CPROF missing: run make asan"
export ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=exitcode=99:print_stacktrace=1

declare -A WEB_PIDS
# start_web NAME ARGS...: the ASan cprof's web UI on ARGS (start_cprof_web),
# remembered by name in WEB_PIDS.
start_web() {
    local name=$1
    shift
    start_cprof_web "$name" "$WEB_CPROF" "$@"
    WEB_PIDS[$name]=$WEB_PID
}

# page_token URL: the token of the server's Refresh form (t=), from its top page.
page_token() {
    curl -s "$1/ui/" | sed -n 's|.*action="/ui/refresh?back=[^"]*&amp;t=\([0-9a-f]*\)".*|\1|p' | head -n 1
}

start_web main "$WORK/go/mem.out"
MAIN_URL=$WEB_URL
start_web diff -diff_base="$WORK/go/cpu2.out" "$WORK/go/cpu.out"
DIFF_URL=$WEB_URL
# A call graph far taller than the window (a 60-function chain): it opens
# at a readable scale, centred on its root.
python3 "$ROOT/tests/integration/lib/cprof_deep_profile.py" 60 "$WORK/deep.pb.gz"
start_web deep -nodecount=0 "$WORK/deep.pb.gz"
DEEP_URL=$WEB_URL

# ---- curl: routes and bad input ---------------------------------------------
for path in / /ui/ /ui/flamegraph /ui/graph "/ui/source?f=Fields" /ui/source /ui/peek \
    /ui/assets/ui.js /ui/assets/ui.css; do
    expect_status 200 "$MAIN_URL$path"
done
grep -q '<table id="top"' <(curl -s "$MAIN_URL/") || fail "/ is not the top view"
# A Go profile's binary is not here: the Source view says so on stderr once
# for the process, not once a page (three views of it above and here).
expect_status 200 "$MAIN_URL/ui/source?f=Fields"
n=$(grep -c 'no binary found' "$WORK/main.err" || true)
[ "$n" = 1 ] || { cat "$WORK/main.err" >&2; fail "'no binary found' said $n times, want once"; }
expect_status 400 "$MAIN_URL/ui/?f=%28"
grep -q 'id="error">parsing focus regexp (: ' "$WORK/body" || fail "bad regexp: no reason on the page"
expect_status 400 "$MAIN_URL/ui/flamegraph?i=a%5B"
grep -q 'parsing ignore regexp a\[: ' "$WORK/body" || fail "bad ignore regexp: no reason"
expect_status 400 "$MAIN_URL/ui/graph?si=bytes"
grep -q 'sample_index &quot;bytes&quot; must be one of: \[alloc_objects' "$WORK/body" ||
    fail "bad si: no reason"
expect_status 400 "$MAIN_URL/ui/?h=$(head -c 1100 /dev/zero | tr '\0' a)"
grep -q 'parameter h is longer than 1024 bytes' "$WORK/body" || fail "long parameter: no reason"
expect_status 404 "$MAIN_URL/ui/source?f=no_such_function_anywhere"
grep -q 'no matches found for regexp: no_such_function_anywhere' "$WORK/body" || fail "no match: no reason"
# Peek: the page shows the command line's peek report, character for character
# (f is the peek regexp and, as in pprof's /ui/peek, the focus too).
expect_status 200 "$MAIN_URL/ui/peek?f=%5Estrings%5C.Fields%24&si=alloc_objects"
python3 - "$WORK/body" >"$WORK/peek.web" <<'PY'
import html, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
pre = re.search(r'<pre id="peek" class="source">(.*?)</pre>', page, re.S).group(1)
sys.stdout.write(html.unescape(re.sub(r"</?span[^>]*>", "", pre)))
PY
"$CPROF" -peek='^strings\.Fields$' -focus='^strings\.Fields$' -sample_index=alloc_objects "$WORK/go/mem.out" >"$WORK/peek.cli"
diff "$WORK/peek.cli" "$WORK/peek.web" >&2 || fail "/ui/peek differs from cprof -peek"
grep -q '| strings.Fields$' "$WORK/peek.web" || fail "peek: no strings.Fields line"
expect_status 200 "$MAIN_URL/ui/peek"
grep -q 'id="hint">Which function?' "$WORK/body" || fail "peek without f: no hint"
# Download: the profile as the page filters it, with Go's download headers;
# go tool pprof reads it and sees only what the focus kept.
curl -s -D "$WORK/dl.head" -o "$WORK/dl.pb.gz" \
    "$MAIN_URL/ui/download?si=alloc_space&f=%5Estrings%5C.FieldsFunc%24&i=%5Estrings%5C.Fields%24"
grep -qi '^HTTP/1.1 200' "$WORK/dl.head" || fail "download: $(head -n 1 "$WORK/dl.head")"
grep -qix 'Content-Type: application/vnd.google.protobuf+gzip.' "$WORK/dl.head" || fail "download: content type"
grep -qix 'Content-Disposition: attachment;filename=profile.pb.gz.' "$WORK/dl.head" || fail "download: disposition"
go tool pprof -top "$WORK/dl.pb.gz" >"$WORK/dl.top" 2>"$WORK/dl.err" || { cat "$WORK/dl.err" >&2; fail "go tool pprof cannot read the download"; }
grep -q ' strings\.FieldsFunc$' "$WORK/dl.top" || fail "download lost the focused function"
! grep -q -e ' strings\.explode$' -e ' strings\.Fields$' "$WORK/dl.top" || fail "download is not filtered"
"$CPROF" -top -sample_index=alloc_space -focus='^strings\.FieldsFunc$' -ignore='^strings\.Fields$' "$WORK/go/mem.out" |
    grep -q "^Showing nodes accounting for $(sed -n 's/^Showing nodes accounting for \([^,]*\), .*/\1/p' "$WORK/dl.top"), " ||
    fail "download total differs from the page's"
expect_status 400 "$MAIN_URL/ui/download?f=%28"
grep -qx 'parsing focus regexp (: .*' "$WORK/body" || fail "download bad regexp: $(cat "$WORK/body")"
grep -q 'id="download" class="button" href="/ui/download?si=alloc_objects' <(curl -s "$MAIN_URL/ui/graph?si=alloc_objects") ||
    fail "no download link with the page's parameters"
expect_status 404 "$MAIN_URL/nosuch"
[ "$(cat "$WORK/body")" = "404 page not found: /nosuch" ] || fail "404: $(cat "$WORK/body")"
expect_status 404 "$MAIN_URL/ui/assets/../ui.js" --path-as-is
expect_status 405 "$MAIN_URL/ui/refresh"
expect_status 405 "$MAIN_URL/ui/" -X DELETE
TOKEN=$(page_token "$MAIN_URL")
expect_status 400 "$MAIN_URL/ui/refresh?back=//example.com/&t=$TOKEN" -X POST
grep -qx 'back must be a page of this server (/ui/...)' "$WORK/body" || fail "refresh back: no reason"
# DNS rebinding and cross-site requests: a Host that is not ours is refused
# (addresses and localhost are ours); a POST needs our Origin (or none) and
# the page's token.
MAIN_PORT=${MAIN_URL##*:}
expect_status 403 "$MAIN_URL/ui/source?f=main" -H "Host: rebind.attacker.example:$MAIN_PORT"
grep -qx "403 Forbidden: Host \"rebind.attacker.example:$MAIN_PORT\" is not a name of this server" "$WORK/body" ||
    fail "bad Host: $(cat "$WORK/body")"
expect_status 403 "$MAIN_URL/ui/" -H "Host: 127.0.0.1.attacker.example"
expect_status 200 "$MAIN_URL/ui/" -H "Host: localhost:$MAIN_PORT"
expect_status 200 "$MAIN_URL/ui/" -H "Host: [::1]:$MAIN_PORT"
expect_status 403 "$MAIN_URL/ui/refresh?back=%2Fui%2F&t=$TOKEN" -X POST -H 'Origin: http://evil.example'
grep -qx '403 Forbidden: refresh from another origin' "$WORK/body" || fail "cross-origin POST: $(cat "$WORK/body")"
expect_status 403 "$MAIN_URL/ui/refresh?back=%2Fui%2F&t=$TOKEN" -X POST -H 'Origin: null'
expect_status 403 "$MAIN_URL/ui/refresh?back=%2Fui%2F" -X POST -H "Origin: $MAIN_URL"
grep -q "refresh without this server's token" "$WORK/body" || fail "tokenless POST: $(cat "$WORK/body")"
expect_status 403 "$MAIN_URL/ui/refresh?back=%2Fui%2F&t=${TOKEN}0" -X POST
expect_status 303 "$MAIN_URL/ui/refresh?back=%2Fui%2F&t=$TOKEN" -X POST -H "Origin: $MAIN_URL"
# Saved configurations: POSTs with the same checks as refresh; names and
# parameters validated; kept in $CPROF_HOME/web_configs; listed on every page.
expect_status 405 "$MAIN_URL/ui/saveconfig?config=x"
expect_status 403 "$MAIN_URL/ui/saveconfig?config=x" -X POST
grep -q "saveconfig without this server's token" "$WORK/body" || fail "tokenless saveconfig: $(cat "$WORK/body")"
expect_status 403 "$MAIN_URL/ui/deleteconfig?config=x&t=$TOKEN" -X POST -H 'Origin: http://evil.example'
expect_status 400 "$MAIN_URL/ui/saveconfig?config=%3Cx%3E&t=$TOKEN" -X POST
grep -qx 'config must be 1 to 64 letters, digits, spaces, . _ -' "$WORK/body" || fail "bad config name: $(cat "$WORK/body")"
expect_status 400 "$MAIN_URL/ui/saveconfig?config=x&t=$TOKEN&f=%28" -X POST
expect_status 303 "$MAIN_URL/ui/saveconfig?config=curl+one&t=$TOKEN&si=alloc_objects&back=%2Fui%2Fgraph" -X POST
grep -qx $'curl one\tsi=alloc_objects' "$CPROF_HOME/web_configs" || fail "saveconfig: $(cat "$CPROF_HOME/web_configs")"
grep -q '<option value="si=alloc_objects">curl one</option>' <(curl -s "$MAIN_URL/ui/") || fail "saved config not listed"
expect_status 303 "$MAIN_URL/ui/deleteconfig?config=curl+one&t=$TOKEN" -X POST
! grep -q 'curl one' "$CPROF_HOME/web_configs" || fail "deleteconfig left it"
# 300 slow connections that never send a request: the server holds a
# bounded number of descriptors, and serves again once they are gone.
python3 - "${MAIN_PORT}" "${WEB_PIDS[main]}" <<'PY' || fail "slow connections were not capped"
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
socks = []
for _ in range(300):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        s.send(b"GET /ui/ HTTP/1.1\r\n")
    except OSError:
        pass
    socks.append(s)
time.sleep(1)
fds = len(os.listdir("/proc/%s/fd" % pid))
print("descriptors held with 300 slow connections:", fds)
for s in socks:
    s.close()
sys.exit(0 if fds < 100 else 1)
PY
sleep 0.5
expect_status 200 "$MAIN_URL/ui/"
# Escaping: what the request carries comes back escaped, never as markup.
expect_status 200 "$MAIN_URL/ui/?f=%3Cscript%3E%22x"
! grep -q '<script>"x' "$WORK/body" || fail "focus value not escaped"
grep -q 'value="&lt;script&gt;&quot;x"' "$WORK/body" || fail "focus value not shown escaped"
[ "$(curl -s -I -o /dev/null -w '%{http_code}' "$MAIN_URL/ui/flamegraph")" = 200 ] || fail "HEAD"
# Without graphviz the graph page says what is missing; the others work.
mkdir -p "$WORK/nodot"
WEB_ENV="PATH=$WORK/nodot" start_web nodot "$WORK/go/mem.out"
expect_status 500 "$WEB_URL/ui/graph"
grep -q 'id="error">callgraph_svg needs graphviz&#39;s dot on PATH' "$WORK/body" ||
    fail "no dot: no reason on the page"
expect_status 200 "$WEB_URL/ui/flamegraph"
echo "curl checks ok"

# ---- a URL source that changes, for Refresh ----------------------------------
SERVED=$WORK/served.pb.gz
cp "$WORK/go/mem.out" "$SERVED"
python3 "$ROOT/tests/integration/lib/cprof_http_server.py" "$SERVED" "$WORK/http.log" \
    >"$WORK/http.out" 2>&1 &
HTTP_PID=$!
PIDS+=("$HTTP_PID")
for _ in $(seq 1 300); do
    grep -q '^port ' "$WORK/http.out" 2>/dev/null && break
    sleep 0.1
done
HTTP_PORT=$(sed -n 's/^port //p' "$WORK/http.out" 2>/dev/null || true)
[ -n "$HTTP_PORT" ] || fail "profile server did not start"
start_web refresh --token secret -H 'X-Test: yes' "http://127.0.0.1:$HTTP_PORT/debug/pprof/heap"
REFRESH_URL=$WEB_URL

# ---- the browser ---------------------------------------------------------------
rm -rf "$ARTIFACTS"
MAIN_URL=$MAIN_URL DIFF_URL=$DIFF_URL DEEP_URL=$DEEP_URL REFRESH_URL=$REFRESH_URL SERVED_FILE=$SERVED \
    NEXT_PROFILE=$WORK/go/mem2.out ARTIFACTS=$ARTIFACTS \
    timeout 300 node "$ROOT/tests/web/ui.spec.mjs" || fail "browser test failed"
for png in top bad-regexp flame-zoom flame-search graph graph-refine graph-tall top-refine peek \
    source flame-diff refreshed; do
    [ -s "$ARTIFACTS/$png.png" ] || fail "no screenshot $png.png"
done
# The refresh fetched twice, with the token and header each time.
[ "$(grep -c '^Authorization: Bearer secret$' "$WORK/http.log")" = 2 ] || fail "refresh: not 2 fetches"

# A refresh that fails keeps the old profile and says why on the next page.
kill "$HTTP_PID"
wait "$HTTP_PID" 2>/dev/null || true
expect_status 303 "$REFRESH_URL/ui/refresh?back=%2Fui%2F&t=$(page_token "$REFRESH_URL")" -X POST
expect_status 200 "$REFRESH_URL/ui/"
grep -q 'id="notice">Refresh failed: http://127.0.0.1:[0-9]*/debug/pprof/heap: http fetch: ' "$WORK/body" ||
    { grep notice "$WORK/body" >&2; fail "failed refresh: no notice"; }
grep -q '<table id="top"' "$WORK/body" || fail "failed refresh lost the profile"

# ---- clean shutdown ---------------------------------------------------------------
for name in main diff deep refresh nodot; do
    pid=${WEB_PIDS[$name]}
    kill -INT "$pid"
    rc=0
    timeout 20 tail --pid="$pid" -f /dev/null || fail "cprof -http ($name) did not stop on SIGINT"
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] || { cat "$WORK/$name.err" >&2; fail "cprof -http ($name) exited $rc on SIGINT"; }
done
grep -qx 'cprof: interrupt: web UI stopped' "$WORK/main.err" || fail "no stop message"
one_line_error 2 "$CPROF" -http=127.0.0.1:99999 "$WORK/go/mem.out"
one_line_error 2 "$CPROF" -http=nohost "$WORK/go/mem.out"
one_line_error 1 "$CPROF" -http=no.such.host.invalid:0 "$WORK/go/mem.out"
echo "cprof web ok"
