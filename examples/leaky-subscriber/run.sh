#!/bin/bash
# Run the leaky-subscriber example under the cprof preload, with its own
# Redis server on a free loopback port (no persistence), and show where to
# look. Usage: examples/leaky-subscriber/run.sh [leaky|fixed] [TICK_MS]
# Stop with Ctrl-C; Redis is stopped with it.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
which=${1:-leaky}
tick=${2:-200}
prog=$root/build/examples/leaky-subscriber/$which
[ -x "$prog" ] || make -s -C "$root" all
command -v redis-server >/dev/null || { echo "redis-server missing: scripts/install-deps.sh" >&2; exit 1; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --loglevel warning >/dev/null &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null; wait $redis_pid 2>/dev/null' EXIT
for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.05
done

addr=${CPROF_ADDR:-127.0.0.1:6060}
cat >&2 <<MSG
redis on 127.0.0.1:$port; $which ticks every $tick ms; profiles at http://$addr/debug/pprof/
  curl -s http://$addr/debug/pprof/                      # thread count, +N since last view
  curl -s 'http://$addr/debug/pprof/threads?debug=1'     # stacks grouped, largest first
  curl -s 'http://$addr/debug/pprof/threads?debug=2'     # every thread: state, age, created by
  go tool pprof -top http://$addr/debug/pprof/goroutine
MSG
CPROF_ADDR=$addr LD_PRELOAD=$root/build/libcprof.so "$prog" -p "$port" -t "$tick"
