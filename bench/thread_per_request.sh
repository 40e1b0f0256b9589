#!/bin/bash
# The preload's cost on a server that starts a thread per request: Debian's
# python3 http.server (ThreadingHTTPServer) answers REQUESTS GETs from two
# client threads, without the preload, with it, and (optionally) with an
# older build; the measure is the server's own CPU time (utime + stime from
# /proc/PID/stat) for those requests, best of ROUNDS alternating rounds,
# and its ratio to the baseline. Every collector is at its default
# (heap, threadcreate, mutex, block, the listener; no profile requested).
# Target: <= 1.05x. Thread-per-request is where per-thread costs show:
# each request thread unwinds for the heap, block and mutex profiles on a
# thread nothing has unwound before (lib/unwind/unwind.c).
# Usage: bench/thread_per_request.sh [ROUNDS] [REQUESTS] [OLD_LIB]
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-5}
requests=${2:-6000}
old=${3:-}
lib=$PWD/build/libcprof.so
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "$PY is not installed (scripts/install-deps.sh)" >&2; exit 1; }
source bench/lib.sh
work=$(mktemp -d)
server=""
cleanup() {
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/www"
printf 'hello\n' >"$work/www/index.html"
cat >"$work/client.py" <<'EOF'
import sys, threading, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
def worker(count):
    for _ in range(count):
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.read() == b"hello\n"
threads = [threading.Thread(target=worker, args=(n // 2,)) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
EOF

# serve_and_load PRELOAD: prints "cpu SECONDS", the server's CPU time for
# the requests (PRELOAD empty: no preload).
serve_and_load() {
    local port
    port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if [ -n "$1" ]; then
        CPROF_ADDR=off LD_PRELOAD=$1 $PY -m http.server "$port" --bind 127.0.0.1 --directory "$work/www" \
            >/dev/null 2>"$work/server.err" &
    else
        $PY -m http.server "$port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>"$work/server.err" &
    fi
    server=$!
    for _ in $(seq 1 200); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/" && break
        sleep 0.05
    done
    local before after
    before=$(awk '{print $14 + $15}' "/proc/$server/stat")
    $PY "$work/client.py" "http://127.0.0.1:$port/" "$requests"
    after=$(awk '{print $14 + $15}' "/proc/$server/stat")
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=""
    awk -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "cpu %.3f\n", t / hz}'
}

declare -A best last
configs=(baseline preload)
[ -z "$old" ] || configs+=(old_preload)
run_config() {
    case $1 in
    baseline) serve_and_load "" ;;
    preload) serve_and_load "$lib" ;;
    old_preload) serve_and_load "$old" ;;
    esac
}
bench_alternate "$rounds" "${configs[@]}"
bench_print_ratios 12 "${configs[@]}"
echo "(python3 http.server, a thread per request: its CPU time for $requests requests, best of $rounds alternating rounds)"
