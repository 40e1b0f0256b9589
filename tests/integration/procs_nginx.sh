# Debian's nginx with its default `daemon on` (2 workers) under the preload
# with a fixed port and CPROF_PROGRAM=nginx: the daemonized master takes the
# endpoint over (one line: its own) even though it never allocates between
# its fork and its workers' (the fork interposer starts its watcher); cprof
# ps and /debug/pprof/procs list the master and both workers; under ab's
# load a worker's CPU profile, fetched with ?pid=, names nginx's request
# path (ngx_http_*), and its heap is served too; ?pid=all over one window
# holds the 3 processes' CPU samples (the worker's share naming ngx_http_
# under -tagfocus=pid=N) and, once idle, each one's heap share equals its
# own ?pid=N heap; after a reload (SIGHUP)
# the new workers replace the old in the list; after shutdown no socket
# file is left.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/daemon.sh"
source "$(dirname "$0")/lib/procs.sh"
source "$(dirname "$0")/lib/nginx.sh"
for c in nginx ab; do
    command -v $c >/dev/null || fail "$c is not installed (scripts/install-deps.sh)"
done
CPROF=$ROOT/build/cprof
DIR=$XDG_RUNTIME_DIR/cprof
NG=$WORK/nginx
chmod 711 "$WORK" # the workers run as nobody
web=$(free_port)
port=$(free_port)
nginx_conf "$NG" "$web" 2
sed -i 's/^daemon off;$/daemon on;/' "$NG/nginx.conf" # nginx's default
grep -qx 'daemon on;' "$NG/nginx.conf" || fail "could not turn daemon on"
env CPROF_ADDR="127.0.0.1:$port" CPROF_PROGRAM=nginx CPROF_HEAP_RATE=4096 LD_PRELOAD="$LIB" \
    nginx -p "$NG" -c "$NG/nginx.conf" </dev/null >"$WORK/nginx.out" 2>"$WORK/nginx.err" ||
    { cat "$WORK/nginx.err"; fail "nginx did not start"; }
for _ in $(seq 1 100); do
    [ -s "$NG/nginx.pid" ] && break
    sleep 0.05
done
master=$(cat "$NG/nginx.pid")
PIDS+=("$master")
BASE=http://127.0.0.1:$port/debug/pprof
for _ in $(seq 1 100); do
    [ "$(listeners_on "$port")" = "$master" ] && break
    sleep 0.1
done
[ "$(listeners_on "$port")" = "$master" ] || { cat "$WORK/nginx.err"; fail "the daemonized master $master does not serve $port"; }
sleep 1.2 # past the 1 s announcement point of anything else
# nginx sends its stderr to its error log once configured.
cat "$WORK/nginx.err" "$NG/logs/error.log" >"$WORK/all.err"
grep -q "^cprof: pid $master serving http://127.0.0.1:$port/debug/pprof/ (daemonized from [0-9]*)$" "$WORK/all.err" &&
    [ "$(grep -c '^cprof:' "$WORK/all.err")" = 1 ] || { grep cprof "$WORK/all.err"; fail "expected the master's one line"; }

# workers_of: the profiled workers /procs lists, one pid a line.
workers_of() {
    curl -sf "$BASE/procs?debug=1" | awk -v m="$master" '$2 == m && $3 == 1 {print $1}' | sort
}
workers=""
for _ in $(seq 1 50); do
    workers=$(workers_of)
    [ "$(echo "$workers" | grep -c .)" = 2 ] && break
    sleep 0.1
done
[ "$(echo "$workers" | grep -c .)" = 2 ] || { curl -s "$BASE/procs?debug=1"; fail "/procs does not list 2 workers"; }
real=$(ps -o pid= --ppid "$master" | tr -d ' ' | sort)
# The workers dropped root (their sockets were made before, in the master's
# runtime directory, and stay reachable: ?pid= and ?pid=all below).
for w in $workers; do
    [ "$(ps -o user= -p "$w" | tr -d ' ')" != root ] || fail "worker $w still runs as root"
done
[ "$workers" = "$real" ] || fail "/procs lists '$workers', the master's children are '$real'"

"$CPROF" ps >"$WORK/ps.out" || fail "cprof ps"
grep -q "^$master  *[0-9]*  *main .* nginx  *$DIR/$master.sock$" "$WORK/ps.out" || { cat "$WORK/ps.out"; fail "ps: master"; }
for w in $workers; do
    grep -q "^$w  *$master  *forked .* nginx  *$DIR/$w.sock$" "$WORK/ps.out" || { cat "$WORK/ps.out"; fail "ps: worker $w"; }
done

# Under load: each worker's CPU profile over the same 3 s, through ?pid=.
ab -q -t 9 -n 10000000 -c 8 "http://127.0.0.1:$web/" >"$WORK/ab.out" 2>&1 &
abpid=$!
PIDS+=("$abpid")
sleep 0.5
# shellcheck disable=SC2086
cpu_naming "$BASE" 3 'ngx_http_[a-z0-9_]*' $workers
found=$NAMED
# The whole tree over one 2 s window (?pid=all): the worker's share names
# the request path too, and every sample belongs to one of the 3 processes.
t0=$(date +%s%N)
curl -sf -o "$WORK/all.cpu" "$BASE/profile?seconds=2&pid=all" || fail "profile?pid=all"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 5000 ] || fail "profile?seconds=2&pid=all took $ms ms: not one window"
pprof_clean -top -nodecount=1000 -tagfocus="pid=$found" "$WORK/all.cpu" >"$WORK/all.cpu.top"
grep -Eq ' ngx_http_[a-z0-9_]*$' "$WORK/all.cpu.top" || { cat "$WORK/all.cpu.top"; fail "pid=all: worker $found's share names no ngx_http_"; }
samples() { # FILE ARGS...: the samples go tool pprof keeps
    local f=$1
    shift
    pprof_clean -top -nodefraction=0 -sample_index=samples "$@" "$f" |
        sed -n 's/^Showing nodes accounting for \([0-9]*\),.*/\1/p'
}
n_all=$(samples "$WORK/all.cpu")
n_sum=0
for p in "$master" $workers; do
    n=$(samples "$WORK/all.cpu" -tagfocus="pid=$p")
    n_sum=$((n_sum + ${n:-0}))
done
[ -n "$n_all" ] && [ "$n_all" -gt 0 ] && [ "$n_sum" = "$n_all" ] ||
    fail "pid=all: $n_all CPU samples, the 3 pids' shares add up to $n_sum"
wait "$abpid" || { cat "$WORK/ab.out"; fail "ab failed"; }
grep -q '^Failed requests: *0$' "$WORK/ab.out" || { cat "$WORK/ab.out"; fail "ab saw failed requests"; }
pprof_clean -top -sample_index=alloc_space "$BASE/heap?pid=$found" >"$WORK/heap.top"
grep -q ' ngx_' "$WORK/heap.top" || { cat "$WORK/heap.top"; fail "the worker's heap names no ngx_ function"; }
# Idle now: the merged heap's share of each process (nginx's own
# allocations, ngx_*) equals that process's own heap.
alloc_ngx() { # FILE ARGS...: alloc_space in bytes of ngx_ stacks
    local f=$1
    shift
    pprof_clean -top -nodefraction=0 -sample_index=alloc_space -unit=B -focus='^ngx_' "$@" "$f" |
        sed -n 's/^Showing nodes accounting for \([0-9]*\)B,.*/\1/p'
}
curl -sf -o "$WORK/all.heap" "$BASE/heap?pid=all" || fail "heap?pid=all"
for p in "$master" $workers; do
    curl -sf -o "$WORK/own.$p.heap" "$BASE/heap?pid=$p" || fail "heap?pid=$p"
    own=$(alloc_ngx "$WORK/own.$p.heap")
    share=$(alloc_ngx "$WORK/all.heap" -tagfocus="pid=$p")
    [ -n "$own" ] && [ "$share" = "$own" ] || fail "heap?pid=all: pid $p's share is $share bytes of ngx_, its own heap $own"
done

# Reload: new workers replace the old in the list.
kill -HUP "$master"
new=""
for _ in $(seq 1 100); do
    new=$(workers_of)
    [ "$(echo "$new" | grep -c .)" = 2 ] && [ -z "$(comm -12 <(echo "$workers") <(echo "$new"))" ] && break
    sleep 0.1
done
[ "$(echo "$new" | grep -c .)" = 2 ] && [ -z "$(comm -12 <(echo "$workers") <(echo "$new"))" ] ||
    fail "after reload /procs lists '$new' (old: '$workers')"
"$CPROF" ps >"$WORK/ps2.out" || fail "cprof ps after reload"
for w in $workers; do
    ! grep -q "^$w " "$WORK/ps2.out" || fail "ps still lists the old worker $w"
done
[ "$(listeners_on "$port")" = "$master" ] || fail "the master no longer serves after reload"

# Shutdown: no socket file left.
kill -QUIT "$master"
for _ in $(seq 1 100); do
    alive "$master" || break
    sleep 0.05
done
! alive "$master" || fail "nginx did not exit"
sleep 0.2
[ -z "$(ls -A "$DIR")" ] || fail "socket files left: $(ls -A "$DIR")"
