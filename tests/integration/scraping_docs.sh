# docs/SCRAPING.md's configurations: the YAML ones parse and use only the
# keys Parca's loader and the Collector's pipeline accept
# (lib/check_scraping_docs.py), and every profile path any of them (Alloy's
# too) points at is served by a preloaded program, with the token variant's
# bearer header: 200, application/octet-stream, a gzip'd body.
source "$(dirname "$0")/lib/common.sh"
python3 "$(dirname "$0")/lib/check_scraping_docs.py" "$ROOT/docs/SCRAPING.md" >"$WORK/paths" ||
    fail "docs/SCRAPING.md configurations"
grep -qx '/debug/pprof/profile?seconds=14' "$WORK/paths" || fail "no Alloy-default CPU URL in the docs"
grep -qx '/debug/pprof/threadcreate' "$WORK/paths" || fail "no threadcreate path in the docs"

TOKEN=scraping-docs-token-0123456789
CPROF_TOKEN=$TOKEN start_preloaded sites "$HELPERS/scrapesites"
wait_for_line sites ready
while read -r path; do
    # the CPU URLs as documented, but over 1 s (Go's default is 30 s): the
    # path and query are the point
    path=${path/seconds=14/seconds=1}
    [ "$path" = /debug/pprof/profile ] && path="$path?seconds=1"
    out=$(curl -s -o "$WORK/body" -w '%{http_code} %{content_type}' \
        -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$path")
    [ "$out" = "200 application/octet-stream" ] || fail "$path: $out"
    [ "$(head -c2 "$WORK/body" | od -An -tx1 | tr -d ' ')" = 1f8b ] || fail "$path: not gzip"
done <"$WORK/paths"
finish_app || fail "scrapesites exited with $?"
