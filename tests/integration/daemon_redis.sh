# Real program: redis-server --daemonize yes under the preload with a fixed
# CPROF_ADDR. Redis forks, its parent exits and the child (the pid in its
# pidfile) serves: /cmdline names redis-server, the heap profile after a
# redis-benchmark load reads cleanly in go tool pprof and shows redis's own
# allocator frames, and SHUTDOWN still ends the daemon and frees both ports.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/daemon.sh"

for tool in redis-server redis-cli redis-benchmark; do
    command -v "$tool" >/dev/null || fail "$tool missing (scripts/install-deps.sh)"
done
redis_port=$(free_port)
cprof_port=$(free_port)
[ "$redis_port" != "$cprof_port" ] || cprof_port=$(free_port)
base="http://127.0.0.1:$cprof_port/debug/pprof"
env CPROF_ADDR="127.0.0.1:$cprof_port" CPROF_HEAP_RATE=4096 LD_PRELOAD="$LIB" \
    redis-server --daemonize yes --port "$redis_port" --bind 127.0.0.1 \
    --pidfile "$WORK/redis.pid" --dir "$WORK" --logfile "$WORK/redis.log" \
    --save '' --appendonly no </dev/null >"$WORK/redis.out" 2>"$WORK/redis.err" ||
    { cat "$WORK/redis.err" >&2; fail "redis-server --daemonize yes failed"; }
for _ in $(seq 1 200); do
    [ -s "$WORK/redis.pid" ] && redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.05
done
[ -s "$WORK/redis.pid" ] || { cat "$WORK/redis.log" >&2; fail "redis wrote no pidfile"; }
redis_pid=$(cat "$WORK/redis.pid")
PIDS+=("$redis_pid")

# The daemon takes the endpoint over a moment after its parent exited.
for _ in $(seq 1 200); do
    curl -sf -o "$WORK/cmdline" "$base/cmdline" && break
    sleep 0.1
done
tr '\0' ' ' <"$WORK/cmdline" | grep -q '^redis-server' || fail "/cmdline does not name redis-server"
[ "$(listeners_on "$cprof_port")" = "$redis_pid" ] ||
    fail "listeners on $cprof_port: '$(listeners_on "$cprof_port")', expected redis ($redis_pid)"
curl -sf "$base/" | grep -q heap || fail "the index page does not list heap"

timeout 120 redis-benchmark -p "$redis_port" -n 20000 -q -t set,lpush -d 200 -r 100000 \
    >/dev/null 2>&1 || fail "redis-benchmark failed"
curl -sf -o "$WORK/heap.pb.gz" "$base/heap" || fail "/heap failed"
pprof_clean -top -sample_index=inuse_space "$WORK/heap.pb.gz" >"$WORK/heap.top"
grep -Eq ' (zmalloc|zmalloc_usable|_sdsnewlen|createObject)$' "$WORK/heap.top" ||
    { head -30 "$WORK/heap.top" >&2; fail "the heap profile shows no redis frames"; }
curl -sf -o /dev/null "$base/threads?debug=1" || fail "/threads failed"

redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
for _ in $(seq 1 100); do
    alive "$redis_pid" || break
    sleep 0.1
done
! alive "$redis_pid" || fail "redis did not shut down"
[ -z "$(listeners_on "$cprof_port")$(listeners_on "$redis_port")" ] || fail "ports still bound after shutdown"
