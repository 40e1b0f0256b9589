# Shared helpers of the integration tests (sourced, not run).
# Each test: set -eu, source this, use start_preloaded / fetch / fail.
set -eu
ROOT=${CPROF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
LIB=$ROOT/build/libcprof.so
HELPERS=$ROOT/build/tests/helpers
WORK=$(mktemp -d /tmp/cprof-test.XXXXXX)
# Profiles cprof fetches are saved here, never in the tester's $HOME/cprof.
export CPROF_HOME=$WORK/saved
PIDS=()

cleanup() {
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && wait "$p" 2>/dev/null || true
    done
    exec 9>&- 2>/dev/null || true
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
    PORT=""
    for _ in $(seq 1 200); do
        PORT=$(sed -n 's|^cprof: pid [0-9]* serving http://127.0.0.1:\([0-9]*\)/debug/pprof/$|\1|p' \
            "$WORK/$name.err" | head -n1)
        [ -n "$PORT" ] && break
        kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/$name.err" >&2; fail "$name exited early"; }
        sleep 0.05
    done
    [ -n "$PORT" ] || { cat "$WORK/$name.err" >&2; fail "$name never printed its address"; }
    BASE="http://127.0.0.1:$PORT/debug/pprof"
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

# finish_app: close its stdin and return its exit status.
finish_app() {
    exec 9>&-
    local rc=0
    wait "$APP_PID" || rc=$?
    PIDS=()
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
