# A throwaway Redis server for the tests (sourced after common.sh): a free
# loopback port, no persistence, in PIDS (killed at exit). start_redis sets
# REDIS_PORT and REDIS_PID.
start_redis() {
    command -v redis-server >/dev/null || fail "redis-server missing (scripts/install-deps.sh)"
    REDIS_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize no --loglevel warning >"$WORK/redis.log" 2>&1 &
    REDIS_PID=$!
    PIDS+=("$REDIS_PID")
    for _ in $(seq 1 100); do
        redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.05
    done
    cat "$WORK/redis.log" >&2
    fail "redis-server did not start on port $REDIS_PORT"
}
