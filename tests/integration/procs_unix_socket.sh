# Every preloaded process serves /debug/pprof on its own Unix socket,
# PID.sock in $XDG_RUNTIME_DIR/cprof (0700; the socket 0600, no token):
# a pre-fork master and each of its workers get one (the workers at their
# first allocation); cprof top pid:N/heap, cprof watch pid:N, unix:PATH sources and curl
# --unix-socket read them; cprof ps lists them; another user gets EACCES;
# stale sockets of dead pids are swept; at exit none is left; an unsafe
# directory is refused; CPROF_SOCKET=off makes none.
source "$(dirname "$0")/lib/common.sh"

CPROF=$ROOT/build/cprof
DIR=$XDG_RUNTIME_DIR/cprof
# A stale socket file of a pid that does not exist (pid_max is below it).
mkdir -m 0700 "$DIR"
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$DIR/999999999.sock"
[ -S "$DIR/999999999.sock" ] || fail "could not plant the stale socket"

CPROF_HEAP_RATE=1024 CPROF_TOKEN=sekrit start_preloaded prefork "$HELPERS/prefork"
wait_for_line prefork ready 60
workers=$(sed -n 's/^worker \([0-9]*\)$/\1/p' "$WORK/prefork.out")
[ "$(echo "$workers" | wc -l)" = 3 ] || fail "expected 3 workers"
[ "$(stat -c %a "$DIR")" = 700 ] || fail "directory mode $(stat -c %a "$DIR"), not 700"
for p in $APP_PID $workers; do
    for _ in $(seq 1 100); do
        [ -S "$DIR/$p.sock" ] && break
        sleep 0.05
    done
    [ -S "$DIR/$p.sock" ] || fail "no socket for pid $p: $(ls -la "$DIR")"
    [ "$(stat -c %a "$DIR/$p.sock")" = 600 ] || fail "socket of $p has mode $(stat -c %a "$DIR/$p.sock")"
done
[ ! -e "$DIR/999999999.sock" ] || fail "the stale socket was not swept"

# The TCP side keeps its token; the socket needs none.
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/")
[ "$code" = 401 ] || fail "TCP without the token answered $code"
curl -sf --unix-socket "$DIR/$APP_PID.sock" http://localhost/debug/pprof/ | grep -q '<title>/debug/pprof/' ||
    fail "the index over the Unix socket"
w1=$(echo "$workers" | head -n1)
curl -sf --unix-socket "$DIR/$w1.sock" http://localhost/debug/pprof/cmdline | tr '\0' ' ' |
    grep -q prefork || fail "a worker's cmdline over its socket"

# pid: and unix: sources.
"$CPROF" -top pid:"$w1"/heap >"$WORK/top.out" 2>"$WORK/top.err" ||
    { cat "$WORK/top.err"; fail "cprof top pid:$w1/heap"; }
grep -q 'worker_churn' "$WORK/top.out" || { cat "$WORK/top.out"; fail "the worker's heap lacks worker_churn"; }
"$CPROF" -raw "unix:$DIR/$APP_PID.sock/heap" >"$WORK/raw.out" 2>"$WORK/raw.err" ||
    { cat "$WORK/raw.err"; fail "cprof -raw unix:...sock/heap"; }
grep -q '^PeriodType: space bytes' "$WORK/raw.out" || fail "unix: source is not a heap profile"
timeout 60 "$CPROF" watch --interval 200ms --duration 1s pid:"$w1" >"$WORK/watch.out" 2>&1 ||
    { cat "$WORK/watch.out"; fail "cprof watch pid:$w1"; }
grep -q "snapshots over 1s of http+unix://.*$w1.sock/debug/pprof/threads" "$WORK/watch.out" ||
    { cat "$WORK/watch.out"; fail "cprof watch pid:$w1 did not watch the worker's socket"; }
! "$CPROF" -top pid:999999999/heap >/dev/null 2>"$WORK/nope.err" || fail "pid with no socket succeeded"
grep -q 'no profiled process has the socket' "$WORK/nope.err" || { cat "$WORK/nope.err"; fail "unclear error"; }

# cprof ps: the master, its three workers (forked), the heap of each.
"$CPROF" ps >"$WORK/ps.out" || fail "cprof ps failed"
cat "$WORK/ps.out"
head -n1 "$WORK/ps.out" | grep -q '^PID *PPID *ROLE *UPTIME *THREADS *HEAP *PROGRAM *SOCKET$' || fail "ps header"
grep -q "^$APP_PID  *[0-9]*  *main .* prefork  *$DIR/$APP_PID.sock$" "$WORK/ps.out" || fail "ps: master row"
for w in $workers; do
    grep -q "^$w  *$APP_PID  *forked .*[0-9.]*[kM]*B  *prefork  *$DIR/$w.sock$" "$WORK/ps.out" ||
        fail "ps: worker $w row"
done
[ "$(wc -l <"$WORK/ps.out")" = 5 ] || fail "ps: expected 4 processes"

# Another user: EACCES, through the 0700 directory and through the 0600
# socket alone (the directories opened for the moment).
as_nobody() {
    setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -c '
import errno, socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("connected")
except OSError as e:
    print(errno.errorcode[e.errno])' "$1"
}
if setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
    [ "$(as_nobody "$DIR/$APP_PID.sock")" = EACCES ] || fail "nobody: not EACCES through the directory"
    chmod 0711 "$WORK" "$XDG_RUNTIME_DIR" "$DIR"
    r=$(as_nobody "$DIR/$APP_PID.sock")
    chmod 0700 "$WORK" "$XDG_RUNTIME_DIR" "$DIR"
    [ "$r" = EACCES ] || fail "nobody through the socket's own mode: $r"
else
    echo "setpriv cannot switch to nobody here: the other-user check is skipped"
fi

# Exit: the master removes its socket and sweeps its killed workers'.
finish_app || fail "prefork failed"
left=$(ls -A "$DIR")
[ -z "$left" ] || fail "sockets left after exit: $left"
! grep -q '^cprof: pid [0-9]*: no Unix socket' "$WORK/prefork.err" || fail "a socket failed"

# An unsafe directory (a symlink) is refused in one line; the process runs.
rmdir "$DIR"
mkdir -m 0700 "$WORK/elsewhere"
ln -s "$WORK/elsewhere" "$DIR"
env LD_PRELOAD="$LIB" CPROF_ADDR=off /bin/true 2>"$WORK/sym.err" || fail "true failed under a symlinked dir"
grep -q "^cprof: pid [0-9]*: no Unix socket: unsafe or unusable directory $DIR: Not a directory$" \
    "$WORK/sym.err" || { cat "$WORK/sym.err"; fail "symlinked directory not refused"; }
[ -z "$(ls -A "$WORK/elsewhere")" ] || fail "a socket went through the symlink"
rm "$DIR"

# A directory open to others is refused too; CPROF_SOCKET=off makes none.
mkdir -m 0755 "$DIR"
env LD_PRELOAD="$LIB" CPROF_ADDR=off /bin/true 2>"$WORK/open.err"
grep -q "no Unix socket: unsafe or unusable directory $DIR: Operation not permitted" "$WORK/open.err" ||
    { cat "$WORK/open.err"; fail "a 0755 directory was used"; }
chmod 0700 "$DIR"
env LD_PRELOAD="$LIB" CPROF_ADDR=off CPROF_SOCKET=off sh -c 'ls -A "$1"' sh "$DIR" >"$WORK/off.out" 2>&1
[ ! -s "$WORK/off.out" ] || { cat "$WORK/off.out"; fail "CPROF_SOCKET=off still made a socket"; }
