#!/bin/bash
# The main job, until the leak-finder demo exists (cprof watch):
#  1. a program under LD_PRELOAD=libcprof.so, its /debug/pprof/heap scraped
#     over HTTP and read with `go tool pprof`;
#  2. the seed's story in C: a daemon that starts a Redis subscriber thread
#     every tick and never stops them; refresh the index page twice, see the
#     thread count climb, open the threads profile, find the culprit; then
#     the fixed daemon, flat.
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
curl -s "$url" | sed -e 's/<[^>]*>//g' | grep -E '^[0-9]+ *[a-z]+$' | sed -E 's/^([0-9]+)/    \1  /' || true
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
echo "== The seed's leak in C: examples/leaky-subscriber (a subscriber thread per tick, never stopped)"
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --loglevel warning >/dev/null 2>&1 &
redis=$!
trap 'exec 9>&- 2>/dev/null || true; kill $app $redis 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done

run_daemon() { # NAME -> sets app, url
    CPROF_ADDR=127.0.0.1:0 LD_PRELOAD=$LIB build/examples/leaky-subscriber/$1 -p "$redis_port" -t 100 \
        >"$work/$1.out" 2>"$work/$1.err" &
    app=$!
    url=""
    for _ in $(seq 1 100); do
        url=$(sed -n 's|^cprof: pid [0-9]* serving \(http://[^ ]*\)$|\1|p' "$work/$1.err")
        [ -n "$url" ] && break
        sleep 0.05
    done
    [ -n "$url" ] || { cat "$work/$1.err"; echo "demo: $1 did not start" >&2; exit 1; }
}
threads_line() { curl -s "$url" | sed -e 's/<[^>]*>//g' | grep -m1 '^Threads:' | sed 's/\. full.*//'; }

run_daemon leaky
sleep 1
echo "   index page, first view:   $(threads_line)"
sleep 2
echo "   index page, 2 s later:    $(threads_line)"
echo
echo "== ${url}threads?debug=1 — the largest group of identical stacks comes first"
curl -s "${url}threads?debug=1" | awk 'NR == 1 || (NR > 1 && !/^$/) {print} NR > 1 && /^$/ {exit}' | head -12
echo
echo "== ${url}threads?debug=2 — who made them"
curl -s "${url}threads?debug=2" | grep -m1 -A2 '^created by cron_tick'
echo
echo "== build/cprof top ${url}goroutine  (the Go engineer's view, from the C daemon)"
build/cprof top -nodecount=4 "${url}goroutine" 2>/dev/null | sed -n '/flat%/,$p'
kill $app
wait $app 2>/dev/null || true

run_daemon fixed
sleep 1
echo
echo "== The fixed daemon (each subscriber cancelled when its tick ends)"
echo "   index page, first view:   $(threads_line)"
sleep 2
echo "   index page, 2 s later:    $(threads_line)"
kill $app
wait $app 2>/dev/null || true
echo
echo "Try it on your own program:  LD_PRELOAD=$LIB ./your-service"
echo "then:                        go tool pprof -top http://127.0.0.1:6060/debug/pprof/heap"
