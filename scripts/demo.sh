#!/bin/bash
# The main job, until the leak-finder demo exists: run an example program
# under LD_PRELOAD=libcprof.so, scrape its /debug/pprof/heap over HTTP like
# a Go developer would, and show the top of the heap profile with
# `go tool pprof`.
set -eu
cd "$(dirname "$0")/.."
LIB=$PWD/build/libcprof.so
work=$(mktemp -d /tmp/cprof-demo.XXXXXX)
trap 'exec 9>&- 2>/dev/null || true; kill $app 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== Running build/tests/helpers/heapsites under LD_PRELOAD=$LIB"
echo "   site_a keeps 64 MiB live in 4 KiB blocks, site_b 16 MiB in 64-byte blocks,"
echo "   site_c allocates and frees 1 GiB. Nothing in the program knows about cprof."
mkfifo "$work/in"
CPROF_ADDR=127.0.0.1:0 LD_PRELOAD=$LIB build/tests/helpers/heapsites 64 16 1024 \
    <"$work/in" >"$work/out" 2>"$work/err" &
app=$!
exec 9>"$work/in"
for _ in $(seq 1 300); do
    grep -q ready "$work/out" 2>/dev/null && grep -q serving "$work/err" && break
    sleep 0.1
done
url=$(sed -n 's|^cprof: pid [0-9]* serving \(http://[^ ]*\)$|\1|p' "$work/err")
[ -n "$url" ] || { cat "$work/err"; echo "demo: the program did not start its listener" >&2; exit 1; }
echo "   $(cat "$work/err")"
echo
echo "== The index page, as curl sees it: ${url}"
curl -s "$url" | sed -e 's/<[^>]*>//g' | grep -E '^[0-9]+ *[a-z]+|[a-z]+: ' | head -8 || true
echo
echo "== go tool pprof -top -sample_index=inuse_space ${url}heap"
go tool pprof -top -lines -nodecount=5 -sample_index=inuse_space "${url}heap" 2>/dev/null | sed -n '/flat%/,$p'
echo
echo "== go tool pprof -top -sample_index=alloc_space ${url}allocs"
go tool pprof -top -lines -nodecount=5 -sample_index=alloc_space "${url}allocs" 2>/dev/null | sed -n '/flat%/,$p'
echo
echo "== Go's legacy text form, ${url}heap?debug=1 (first record)"
curl -s "${url}heap?debug=1" | sed -n '1,8p'
exec 9>&-
wait $app || true
echo
echo "Try it on your own program:  LD_PRELOAD=$LIB ./your-service"
echo "then:                        go tool pprof -top http://127.0.0.1:6060/debug/pprof/heap"
