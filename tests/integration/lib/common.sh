# Shared helpers of the integration tests (sourced, not run).
# Each test: set -eu, source this, use start_preloaded / fetch / fail.
set -eu
ROOT=${CPROF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
LIB=$ROOT/build/libcprof.so
HELPERS=$ROOT/build/tests/helpers
WORK=$(mktemp -d /tmp/cprof-test.XXXXXX)
# Profiles cprof fetches are saved here, never in the tester's $HOME/cprof.
export CPROF_HOME=$WORK/saved
# Each preloaded process's Unix socket goes here, never in the tester's
# runtime directory.
export XDG_RUNTIME_DIR=$WORK/run
mkdir -m 0700 "$XDG_RUNTIME_DIR"
# Every process the test starts inherits this mark, daemons and their
# workers too: at exit, cleanup ends whatever still carries it.
export CPROF_TEST_MARK=$WORK
PIDS=()

# marked_pids: the live processes carrying this test's CPROF_TEST_MARK, one
# a line (grep runs without the mark, so it does not find itself).
marked_pids() {
    local f
    for f in $(env -u CPROF_TEST_MARK grep -lsxzF "CPROF_TEST_MARK=$WORK" /proc/[0-9]*/environ); do
        f=${f#/proc/}
        f=${f%/environ}
        [ "$f" != $$ ] && [ "$f" != "$BASHPID" ] && echo "$f"
    done
    return 0
}

# kill_marked: end every process of this test (SIGTERM, then SIGKILL for
# what is still there after 2 s), whoever its parent is now.
kill_marked() {
    local pids
    pids=$(marked_pids)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null || true
    for _ in $(seq 1 40); do
        pids=$(marked_pids)
        [ -n "$pids" ] || return 0
        sleep 0.05
    done
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
}

# cleanup (at exit): the started processes (PIDS) and everything else
# carrying the mark are ended, the work directory removed.
cleanup() {
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && wait "$p" 2>/dev/null || true
    done
    exec 9>&- 2>/dev/null || true
    kill_marked
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# start_preloaded NAME CMD...: run CMD under the preload with a free port,
# stdin from a FIFO held open by fd 9 (closing it ends helpers that wait on
# stdin). Sets PORT, APP_PID; output in $WORK/NAME.out / .err. Extra
# environment goes in front: CPROF_HEAP_RATE=4096 start_preloaded ...
start_preloaded() {
    local name=$1
    shift
    mkfifo "$WORK/$name.in"
    env CPROF_ADDR=127.0.0.1:0 LD_PRELOAD="$LIB" "$@" \
        <"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    APP_PID=$!
    PIDS+=("$APP_PID")
    exec 9>"$WORK/$name.in"
    wait_served "$WORK/$name.err" "$APP_PID" "$name"
}

# served_port ERRFILE [PID]: the port of the first "cprof: pid PID serving
# http://127.0.0.1:PORT/debug/pprof/" line in ERRFILE (any pid when PID is
# not given), or nothing.
served_port() {
    sed -n "s|^cprof: pid ${2:-[0-9]*} serving http://127.0.0.1:\([0-9]*\)/debug/pprof/\$|\1|p" "$1" |
        head -n1
}

# wait_served ERRFILE PID NAME: wait up to 20 s for PID's address line in
# ERRFILE (PID must stay alive meanwhile); sets PORT and BASE.
wait_served() {
    local err=$1 pid=$2 name=$3
    PORT=""
    for _ in $(seq 1 400); do
        PORT=$(served_port "$err")
        [ -n "$PORT" ] && break
        kill -0 "$pid" 2>/dev/null || { tail "$err" >&2; fail "$name exited early"; }
        sleep 0.05
    done
    [ -n "$PORT" ] || { tail "$err" >&2; fail "$name never printed its address"; }
    BASE="http://127.0.0.1:$PORT/debug/pprof"
}

# wait_printed FILE PREFIX: wait up to 5 s for a line "PREFIXrest" in
# FILE (a server announcing its address); prints rest, or nothing.
wait_printed() {
    local v=""
    for _ in $(seq 1 100); do
        v=$(sed -n "s|^$2||p" "$1" | head -n1)
        [ -n "$v" ] && break
        sleep 0.05
    done
    echo "$v"
}

# wait_for_line NAME TEXT [SECONDS]: wait until NAME's stdout has TEXT.
wait_for_line() {
    local name=$1 text=$2 secs=${3:-120}
    for _ in $(seq 1 $((secs * 10))); do
        grep -qx "$text" "$WORK/$name.out" && return 0
        kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/$name.err" >&2; fail "$name died"; }
        sleep 0.1
    done
    fail "$name: no '$text' within ${secs}s"
}

# finish_app: close its stdin and return its exit status (it leaves PIDS;
# the test's other processes stay there, for cleanup to end).
finish_app() {
    exec 9>&-
    local rc=0 p
    wait "$APP_PID" || rc=$?
    for p in "${!PIDS[@]}"; do
        [ "${PIDS[$p]}" != "$APP_PID" ] || unset 'PIDS[p]'
    done
    return $rc
}

# pprof_clean ARGS...: run go tool pprof, fail on any warning on stderr.
pprof_clean() {
    local err=$WORK/pprof.err
    if ! go tool pprof "$@" 2>"$err"; then
        cat "$err" >&2
        fail "go tool pprof $* failed"
    fi
    if grep -qiE 'warning|fail|error|unrecognized|malformed' "$err"; then
        cat "$err" >&2
        fail "go tool pprof $* printed warnings"
    fi
}

# start_debuginfod LOG [DIR]: lib/debuginfod_server.py on a free port (in
# PIDS, so cleanup ends it), serving DIR/ID.debug, every request path logged
# to LOG; sets DEBUGINFOD_PORT once it answers.
start_debuginfod() {
    DEBUGINFOD_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    touch "$1"
    python3 "$ROOT/tests/integration/lib/debuginfod_server.py" "$DEBUGINFOD_PORT" "$@" &
    PIDS+=($!)
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$DEBUGINFOD_PORT/ready" && return 0
        sleep 0.05
    done
    fail "the debuginfod server did not start"
}

# start_receiver DIR [ARGS...]: lib/pyroscope_receiver.py (Pyroscope's
# ingest API, checked) on a free port, or on --port N given in ARGS, saving
# requests in DIR (created); in PIDS, so cleanup ends it. Sets RECV_PORT
# and RECV_PID.
start_receiver() {
    local dir=$1
    shift
    mkdir -p "$dir"
    python3 "$ROOT/tests/integration/lib/pyroscope_receiver.py" "$dir" "$@" >"$dir.out" 2>&1 &
    RECV_PID=$!
    PIDS+=("$RECV_PID")
    RECV_PORT=$(wait_printed "$dir.out" "ready ")
    [ -n "$RECV_PORT" ] || { cat "$dir.out"; fail "the Pyroscope receiver did not start"; }
}

# need_web_deps MODULE...: node and Debian's chromium, and tests/web's npm
# packages (pinned by its package-lock.json) installed: `npm ci` only when a
# MODULE is missing or node_modules is older than the lock file; never a
# browser download (the tests use /usr/bin/chromium).
need_web_deps() {
    command -v node >/dev/null && command -v npm >/dev/null || fail "node/npm missing (scripts/install-deps.sh)"
    [ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (scripts/install-deps.sh installs it)"
    local m missing=0
    for m in "$@"; do [ -d "$ROOT/tests/web/node_modules/$m" ] || missing=1; done
    [ "$ROOT/tests/web/package-lock.json" -nt "$ROOT/tests/web/node_modules/.package-lock.json" ] && missing=1
    [ "$missing" = 0 ] && return 0
    (cd "$ROOT/tests/web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
        >"$WORK/npm.log" 2>&1 || { cat "$WORK/npm.log" >&2; fail "npm ci in tests/web failed"; }
}
