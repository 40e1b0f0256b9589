#!/bin/bash
# The main demo (`make demo`): the seed's story, end to end.
#
# A cron daemon (examples/leaky-subscriber/leaky.c) starts a Redis
# subscriber thread on every tick and never stops it; in the Go original it
# was a goroutine per tick and the daemon was OOM-killed. The engineer found
# it by refreshing /debug/pprof/ twice and comparing numbers by eye. Here
# `cprof watch` does the refreshing: it snapshots the threads and heap
# profiles, follows every stack over time and names the one that keeps
# growing, with its file:line and the code that created the threads. Then
# the fixed daemon, watched the same way: no leak.
#
# CPROF_DEMO_SECONDS (default 30) sets how long each daemon is watched;
# CPROF_DEMO_DIR (default /tmp/cprof-demo) keeps the snapshots and reports.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
LIB=$ROOT/build/libcprof.so
CPROF=$ROOT/build/cprof
SECS=${CPROF_DEMO_SECONDS:-30}
work=$(mktemp -d /tmp/cprof-demo.XXXXXX)
# Snapshots and reports are kept after the demo, for the "what next" commands.
keep=${CPROF_DEMO_DIR:-/tmp/cprof-demo}
rm -rf "$keep"
mkdir -p "$keep"
app="" redis=""
cleanup() {
    [ -n "$app" ] && kill "$app" 2>/dev/null && wait "$app" 2>/dev/null
    [ -n "$redis" ] && kill "$redis" 2>/dev/null && wait "$redis" 2>/dev/null
    rm -rf "$work"
    return 0
}
trap cleanup EXIT
command -v redis-server >/dev/null || { echo "demo: redis-server missing (scripts/install-deps.sh)" >&2; exit 1; }
bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }

cat <<'STORY'
The story. A cron daemon was OOM-killed. Its engineer opened /debug/pprof/,
refreshed it a minute later, saw the goroutine count climb, and found one
stack holding 90% of them: a Redis subscriber started on every cron tick,
blocked forever reading its socket. examples/leaky-subscriber/leaky.c is
that daemon in C, one thread per tick. Let cprof find it.

STORY

bold "1. Redis on a free loopback port"
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --loglevel warning >"$work/redis.log" 2>&1 &
redis=$!
for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p "$redis_port" ping >/dev/null 2>&1 || { cat "$work/redis.log"; echo "demo: redis did not start" >&2; exit 1; }
echo "   redis-server on 127.0.0.1:$redis_port"

run_daemon() { # NAME: start it under the preload; sets app, url
    CPROF_ADDR=127.0.0.1:0 LD_PRELOAD=$LIB build/examples/leaky-subscriber/$1 -p "$redis_port" -t 250 \
        >"$work/$1.out" 2>"$work/$1.err" &
    app=$!
    url=""
    for _ in $(seq 1 100); do
        url=$(sed -n 's|^cprof: pid [0-9]* serving \(http://[^ ]*\)$|\1|p' "$work/$1.err")
        [ -n "$url" ] && break
        sleep 0.05
    done
    [ -n "$url" ] || { cat "$work/$1.err"; echo "demo: $1 did not start" >&2; exit 1; }
    echo "   CPROF_ADDR=127.0.0.1:0 LD_PRELOAD=build/libcprof.so build/examples/leaky-subscriber/$1 -p $redis_port -t 250"
    echo "   (no code change; profiles at $url)"
}

watch_daemon() { # NAME: cprof watch it (progress live on stderr); returns its exit status
    local rc=0
    mkdir -p "$keep/$1"
    echo "   build/cprof watch --interval 2s --duration ${SECS}s --save-dir $keep/$1 --html $keep/$1.html \\"
    echo "                     $url"
    echo
    "$CPROF" watch --interval 2s --duration "${SECS}s" --save-dir "$keep/$1" \
        --html "$keep/$1.html" "$url" >"$keep/$1.txt" || rc=$?
    echo
    sed 's/^/   | /' "$keep/$1.txt"
    return $rc
}

echo
bold "2. The leaky daemon, under the cprof preload"
run_daemon leaky
echo
bold "3. cprof watch: a snapshot every 2 s for ${SECS} s; each stack's threads and bytes followed"
rc=0
watch_daemon leaky || rc=$?
kill "$app"; wait "$app" 2>/dev/null || true; app=""
echo
echo "   exit status $rc (0 no leak, 1 leak found, 2 error: usable as a CI or canary gate)"
[ "$rc" = 1 ] || { echo "demo: expected a leak in the leaky daemon" >&2; exit 1; }

echo
bold "4. The fixed daemon (examples/leaky-subscriber/fixed.c: each tick cancels its subscriber)"
run_daemon fixed
echo
rc=0
watch_daemon fixed || rc=$?
kill "$app"; wait "$app" 2>/dev/null || true; app=""
echo
echo "   exit status $rc"
[ "$rc" = 0 ] || { echo "demo: expected no leak in the fixed daemon" >&2; exit 1; }

echo
bold "What to do next"
cat <<NEXT
   The culprit: subscribe_new_tasks (leaky.c), blocked reading Redis, one more
   thread created by cron_tick on every tick and never stopped. The fix passes
   each subscriber a cancellation and cancels it when the tick is done:
       diff -u examples/leaky-subscriber/leaky.c examples/leaky-subscriber/fixed.c
   Everything is kept in $keep: the snapshots (the "Next:" commands above
   read them), the reports ($keep/leaky.txt) and the charts ($keep/leaky.html).
       build/cprof watch $keep/leaky/*      # the same verdict, offline
   On your own service:
       LD_PRELOAD=$LIB ./your-service
       build/cprof watch --duration 10m http://127.0.0.1:6060/debug/pprof/
NEXT
