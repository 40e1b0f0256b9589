# Debian's nginx under the preload (master_process on, daemon off): 30
# SIGQUIT shutdowns, each after the endpoint was scraped, all 30 exit within
# 2 s. The master waits for its workers' SIGCHLD in sigsuspend; a cprof
# thread that does not block SIGCHLD takes it and the master hangs (when a
# worker exits while the master is outside sigsuspend: 8 workers make that
# likely; with cprof threads that did not block SIGCHLD, 1 or 2 of 30 runs
# hung).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/daemon.sh"
source "$(dirname "$0")/lib/nginx.sh"
command -v nginx >/dev/null || fail "nginx is not installed (scripts/install-deps.sh)"

ok=0
for i in $(seq 1 30); do
    web=$(free_port)
    nginx_conf "$WORK/nginx" "$web" 8
    : >"$WORK/nginx.err"
    env CPROF_ADDR=127.0.0.1:0 LD_PRELOAD="$LIB" nginx -e stderr -p "$WORK/nginx" \
        -c "$WORK/nginx/nginx.conf" </dev/null >"$WORK/nginx.out" 2>"$WORK/nginx.err" &
    master=$!
    PIDS+=("$master")
    wait_served "$WORK/nginx.err" "$master" "run $i: nginx"
    port=$PORT
    for _ in $(seq 1 100); do
        curl -sf -o /dev/null "http://127.0.0.1:$web/" && break
        sleep 0.05
    done
    curl -sf "http://127.0.0.1:$web/" | grep -qx hello || fail "run $i: nginx does not answer"
    # A full thread dump (which symbolizes nginx afresh, ~1 s) every 5th run.
    dump=""
    [ $((i % 5)) = 1 ] && dump="goroutine?debug=2"
    for p in "" cmdline "heap?debug=1" $dump; do
        curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$port/debug/pprof/$p" ||
            fail "run $i: /debug/pprof/$p failed"
    done
    kill -QUIT "$master"
    for _ in $(seq 1 40); do
        kill -0 "$master" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$master" 2>/dev/null; then
        echo "run $i: the master did not exit within 2 s after SIGQUIT" >&2
        tail -n 5 "$WORK/nginx/logs/error.log" >&2
        kill -KILL "$master" 2>/dev/null || true
    else
        ok=$((ok + 1))
    fi
    wait "$master" 2>/dev/null || true
    PIDS=()
done
echo "$ok of 30 SIGQUIT shutdowns within 2 s"
[ "$ok" = 30 ] || fail "only $ok of 30 nginx shutdowns within 2 s"
