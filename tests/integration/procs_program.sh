# CPROF_PROGRAM picks the process that holds the TCP port when a wrapper
# starts the service, and every process but that one stays quiet:
#   - 200 posix_spawns of a preloaded child with a fixed port: the parent's
#     stderr has exactly one cprof line (its own "serving").
#   - `timeout 60 prog` and `sh -c 'prog; exit'`: without CPROF_PROGRAM the
#     wrapper takes the fixed port (the problem); with CPROF_PROGRAM=prefork
#     the port is prog's, and the one cprof line is prog's (the wrapper and
#     prog's forked workers say nothing; everyone keeps a Unix socket).
#   - PostgreSQL 15 started with pg_ctl (as nobody): CPROF_PROGRAM=postgres
#     puts the port on the postmaster, not on pg_ctl or its shell; under
#     pgbench -c 4 its /procs lists the 4 client backends and a backend's CPU
#     profile (?pid=N, and its share of ?pid=all under -tagfocus=pid=N)
#     names the executor; at stop no socket is left.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/daemon.sh"
source "$(dirname "$0")/lib/procs.sh"

# exe PID: the program PID runs.
exe() { readlink "/proc/$1/exe"; }

# 1. Quiet by default.
port=$(free_port)
env CPROF_ADDR="127.0.0.1:$port" LD_PRELOAD="$LIB" "$HELPERS/spawner" 200 /bin/true \
    >"$WORK/spawn.out" 2>"$WORK/spawn.err" || { cat "$WORK/spawn.err"; fail "spawner failed"; }
grep -qx 'spawned 200' "$WORK/spawn.out" || fail "not 200 spawns"
[ "$(grep -c cprof "$WORK/spawn.err")" = 1 ] && grep -q "^cprof: pid [0-9]* serving http://127.0.0.1:$port/debug/pprof/$" \
    "$WORK/spawn.err" || { cat "$WORK/spawn.err"; fail "200 spawns: not exactly the parent's one line"; }

# wrapped NAME ENV... -- CMD...: start CMD (a wrapper around prefork) with a
# fixed port; sets SERVER (the pid printed in the one serving line) and
# MASTER (prefork's master: its workers' parent).
wrapped() {
    local name=$1
    shift
    port=$(free_port)
    start_preloaded "$name" CPROF_ADDR="127.0.0.1:$port" "$@"
    wait_for_line "$name" ready 60
    SERVER=$(sed -n "s|^cprof: pid \([0-9]*\) serving http://127.0.0.1:$port/debug/pprof/\$|\1|p" "$WORK/$name.err")
    local w
    w=$(sed -n 's/^worker \([0-9]*\)$/\1/p' "$WORK/$name.out" | head -n1)
    MASTER=$(awk '{print $4}' "/proc/$w/stat")
    [ "$(listeners_on "$port")" = "$SERVER" ] || fail "$name: $SERVER printed the line, $(listeners_on "$port") listens"
}

# The problem: the wrapper holds the port.
wrapped plain_timeout timeout 60 "$HELPERS/prefork"
[ "$SERVER" = "$APP_PID" ] || fail "without CPROF_PROGRAM timeout ($APP_PID) should hold the port, $SERVER does"
finish_app || fail "timeout prefork failed"

for wrapper in timeout sh; do
    if [ $wrapper = timeout ]; then
        wrapped "with_$wrapper" CPROF_PROGRAM=prefork timeout 60 "$HELPERS/prefork"
    else
        wrapped "with_$wrapper" CPROF_PROGRAM=prefork sh -c '"$0"; exit $?' "$HELPERS/prefork"
    fi
    [ "$SERVER" = "$MASTER" ] && [ "$SERVER" != "$APP_PID" ] ||
        fail "$wrapper: the port is on $SERVER ($(exe "$SERVER")), not prefork's master $MASTER"
    [[ "$(exe "$APP_PID")" == *"$wrapper"* ]] || fail "$wrapper: $APP_PID is $(exe "$APP_PID")"
    sleep 1.5 # past the workers' 1 s "no listener" point: they stay quiet
    [ "$(grep -c cprof "$WORK/with_$wrapper.err")" = 1 ] ||
        { cat "$WORK/with_$wrapper.err"; fail "$wrapper: expected exactly one cprof line"; }
    for p in "$APP_PID" "$MASTER"; do
        [ -S "$XDG_RUNTIME_DIR/cprof/$p.sock" ] || fail "$wrapper: no socket for $p"
    done
    curl -sf "http://127.0.0.1:$port/debug/pprof/cmdline" | tr '\0' ' ' | grep -q "^$HELPERS/prefork" ||
        fail "$wrapper: the endpoint is not prefork's"
    finish_app || fail "$wrapper prefork failed"
done

# 2. pg_ctl, as nobody (postgres refuses root), with its own runtime directory.
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$PGBIN/pg_ctl" ] || fail "PostgreSQL 15 is not installed (scripts/install-deps.sh)"
setpriv --reuid=nobody --regid=nogroup --clear-groups true || fail "cannot run as nobody"
chmod 711 "$WORK"
pg=$WORK/pg
mkdir -m 0700 "$pg" "$WORK/pgrun"
chown nobody "$pg" "$WORK/pgrun"
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$pg" XDG_RUNTIME_DIR="$WORK/pgrun")
"${as_nobody[@]}" "$PGBIN/initdb" -D "$pg/data" -U postgres --auth=trust -N >"$WORK/initdb.log" 2>&1 ||
    { tail "$WORK/initdb.log"; fail "initdb failed"; }
port=$(free_port)
pgport=$(free_port)
"${as_nobody[@]}" CPROF_ADDR="127.0.0.1:$port" CPROF_PROGRAM=postgres LD_PRELOAD="$LIB" \
    "$PGBIN/pg_ctl" -D "$pg/data" -l "$pg/log" -w -t 30 \
    -o "-p $pgport -k $pg -c listen_addresses=127.0.0.1 -c fsync=off" start \
    </dev/null >"$WORK/pg_ctl.out" 2>"$WORK/pg_ctl.err" || { cat "$WORK/pg_ctl.err" "$pg/log"; fail "pg_ctl start"; }
postmaster=$(head -n1 "$pg/data/postmaster.pid")
PIDS+=("$postmaster")
for _ in $(seq 1 100); do
    [ -n "$(listeners_on "$port")" ] && break
    sleep 0.05
done
[ "$(listeners_on "$port")" = "$postmaster" ] ||
    { cat "$pg/log"; fail "pg_ctl: the port is on '$(listeners_on "$port")', not the postmaster $postmaster"; }
curl -sf "http://127.0.0.1:$port/debug/pprof/cmdline" | tr '\0' ' ' | grep -q "$PGBIN/postgres" ||
    fail "pg_ctl: the endpoint is not the postmaster's"
# The matching process announces itself once it has run 1 s (pg_ctl's
# `postgres -V` binds for a moment and says nothing).
for _ in $(seq 1 100); do
    grep -q '^cprof:' "$pg/log" && break
    sleep 0.05
done
"$PGBIN/psql" -q -h 127.0.0.1 -p "$pgport" -U postgres -c 'select 1' postgres >/dev/null ||
    fail "psql could not query"

# The postmaster's endpoint serves its backends: under pgbench -c 4 every
# client backend is in /procs, and their CPU profiles, fetched with ?pid=
# over the same 2 s, name the executor.
BASE=http://127.0.0.1:$port/debug/pprof
pgbench -i -q -h 127.0.0.1 -p "$pgport" -U postgres postgres >"$WORK/pgbench_init.log" 2>&1 ||
    { cat "$WORK/pgbench_init.log"; fail "pgbench -i"; }
pgbench -h 127.0.0.1 -p "$pgport" -U postgres -c 4 -T 14 postgres >"$WORK/pgbench.log" 2>&1 &
bench=$!
PIDS+=("$bench")
backends=""
for _ in $(seq 1 50); do
    backends=$("$PGBIN/psql" -At -h 127.0.0.1 -p "$pgport" -U postgres -c         "select pid from pg_stat_activity where application_name = 'pgbench'" postgres)
    [ "$(echo "$backends" | grep -c .)" = 4 ] && break
    sleep 0.1
done
[ "$(echo "$backends" | grep -c .)" = 4 ] || fail "pgbench: not 4 backends: $backends"
curl -sf "$BASE/procs?debug=1" >"$WORK/pgprocs.txt" || fail "postmaster /procs"
for b in $backends; do
    grep -q "^$b $postmaster 1 postgres " "$WORK/pgprocs.txt" ||
        { cat "$WORK/pgprocs.txt"; fail "backend $b is not in the postmaster's /procs"; }
done
# The whole tree at once (?pid=all, one 2 s window): a backend's share
# (-tagfocus=pid=N) names the executor.
EXEC='ExecutePlan|standard_ExecutorRun|ExecModifyTable|ExecScan'
curl -sf -o "$WORK/pgall.cpu" "$BASE/profile?seconds=2&pid=all" || fail "profile?pid=all"
pprof_clean -raw "$WORK/pgall.cpu" >"$WORK/pgall.raw"
grep -q 'program:\[postgres\]' "$WORK/pgall.raw" || fail "pid=all: no program label"
grep -q "^Comment: cprof pid=all: \([0-9]*\) of \1 processes merged" "$WORK/pgall.raw" ||
    { grep Comment "$WORK/pgall.raw"; fail "pid=all: a process was skipped"; }
named=""
for b in $backends; do
    pprof_clean -top -nodecount=1000 -tagfocus="pid=$b" "$WORK/pgall.cpu" >"$WORK/pgall.$b.top"
    grep -Eq " ($EXEC)\$" "$WORK/pgall.$b.top" && named=$b
done
[ -n "$named" ] || { cat "$WORK/pgall.$b.top"; fail "pid=all: no backend's share names the executor"; }
# Each backend on its own (?pid=N; the postmaster's endpoint serves them
# one after another).
# shellcheck disable=SC2086
cpu_naming "$BASE" 2 "$EXEC" $backends
wait "$bench" || { cat "$WORK/pgbench.log"; fail "pgbench failed"; }
grep -q '^number of failed transactions: 0 ' "$WORK/pgbench.log" || { cat "$WORK/pgbench.log"; fail "pgbench saw failed transactions"; }
"${as_nobody[@]}" "$PGBIN/pg_ctl" -D "$pg/data" -m fast -w stop >>"$WORK/pg_ctl.out" 2>&1 || fail "pg_ctl stop"
n=$(cat "$WORK/pg_ctl.err" "$pg/log" | grep -c '^cprof:' || true)
[ "$n" = 1 ] && grep -q "^cprof: pid $postmaster serving http://127.0.0.1:$port/debug/pprof/$" "$pg/log" ||
    { cat "$WORK/pg_ctl.err" "$pg/log"; fail "pg_ctl: expected the postmaster's one cprof line, got $n"; }
[ -z "$(ls -A "$WORK/pgrun/cprof")" ] || fail "pg_ctl: sockets left: $(ls -A "$WORK/pgrun/cprof")"
