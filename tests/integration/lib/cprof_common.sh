# Helpers for the cprof tool tests (sourced after common.sh).
CPROF=$ROOT/build/cprof
ASAN_CPROF=$ROOT/build/asan/cprof # built by make asan

# asan_run WHAT ARGS...: the ASan+UBSan cprof on ARGS, output discarded; the
# test fails unless it ends with status 0 or 1 within 120 s (a sanitizer
# report exits 99; WHAT names the input in the failure).
asan_run() {
    local what=$1 rc=0
    shift
    [ -x "$ASAN_CPROF" ] || fail "$ASAN_CPROF missing: run make asan"
    ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=exitcode=99:print_stacktrace=1 \
        timeout 120 "$ASAN_CPROF" "$@" >/dev/null 2>"$WORK/asan.err" || rc=$?
    case $rc in
    0 | 1) ;;
    *) cat "$WORK/asan.err" >&2; fail "$what: exit status $rc under ASan/UBSan" ;;
    esac
}

# go_profiles DIR: CPU and heap profiles of a real Go program, made in DIR
# with a private build cache: the `strings` benchmarks (cpu.out, mem.out)
# and a shorter run of some of them (cpu2.out, mem2.out) to use as a base.
go_profiles() {
    local dir=$1
    mkdir -p "$dir"
    (
        cd "$dir"
        export GOFLAGS=-mod=mod GOCACHE=$dir/gocache GOPATH=$dir/gopath
        go test -cpuprofile cpu.out -memprofile mem.out -run XXX -bench . -benchtime 200x \
            strings >bench.log 2>&1 || { cat bench.log; exit 1; }
        go test -cpuprofile cpu2.out -memprofile mem2.out -run XXX -bench 'Fields|Index' \
            -benchtime 200x strings >bench2.log 2>&1 || { cat bench2.log; exit 1; }
    ) || fail "go test could not make profiles"
}

# same_output ARGS...: `cprof ARGS` and `go tool pprof ARGS` print the same
# thing, byte for byte (tables, header lines, everything).
same_output() {
    go tool pprof "$@" >"$WORK/pprof.out" 2>"$WORK/pprof.err" ||
        { cat "$WORK/pprof.err" >&2; fail "go tool pprof $* failed"; }
    "$CPROF" "$@" >"$WORK/cprof.out" 2>"$WORK/cprof.err" ||
        { cat "$WORK/cprof.err" >&2; fail "cprof $* failed"; }
    if ! cmp -s "$WORK/pprof.out" "$WORK/cprof.out"; then
        diff "$WORK/pprof.out" "$WORK/cprof.out" | head -n 20 >&2
        fail "cprof $* differs from go tool pprof"
    fi
    [ -s "$WORK/cprof.out" ] || fail "cprof $* printed nothing"
    echo "same: $*"
}

# table_rows FILE: the rows of a top report (what follows the column header).
table_rows() {
    sed -n '/^      flat  flat%   sum%        cum   cum%$/,$p' "$1" | tail -n +2
}

# one_line_error EXPECTED_STATUS CMD...: CMD fails with that status, prints
# nothing on stdout and exactly one line on stderr, starting with "cprof: ".
one_line_error() {
    local want=$1 rc=0
    shift
    "$@" >"$WORK/err.out" 2>"$WORK/err.err" || rc=$?
    [ "$rc" = "$want" ] || { cat "$WORK/err.err" >&2; fail "$* exited $rc, want $want"; }
    [ ! -s "$WORK/err.out" ] || fail "$* wrote to stdout"
    grep -v '^Fetching profile over HTTP from \|^Please wait' "$WORK/err.err" >"$WORK/err.msg" || true
    [ "$(wc -l <"$WORK/err.msg")" = 1 ] || { cat "$WORK/err.err" >&2; fail "$*: not one line"; }
    grep -q '^cprof: ' "$WORK/err.msg" || fail "$*: message does not start with 'cprof: '"
    cat "$WORK/err.msg"
}

# start_cprof_web NAME BIN ARGS...: `BIN -http=127.0.0.1:0 ARGS` in the
# background (with $WEB_ENV, if set, in its environment), stdout and stderr in
# $WORK/NAME.out and $WORK/NAME.err; sets WEB_PID and WEB_URL from its
# "Serving web UI on URL" line. It runs in $WORK: the source view searches the
# current directory and, like pprof, trims a source path at the directory's
# base name, so a checkout in a directory named "src" would hide
# /usr/lib/go-*/src/strings/strings.go.
start_cprof_web() {
    local name=$1 bin=$2
    shift 2
    : >"$WORK/$name.err" # exists before the first look below, whatever the timing
    (cd "$WORK" && exec env ${WEB_ENV:-} "$bin" -http=127.0.0.1:0 "$@") \
        >"$WORK/$name.out" 2>>"$WORK/$name.err" &
    WEB_PID=$!
    PIDS+=("$WEB_PID")
    WEB_URL=""
    for _ in $(seq 1 600); do
        WEB_URL=$(sed -n 's|^Serving web UI on \(http://127.0.0.1:[0-9]*\)$|\1|p' "$WORK/$name.err" || true)
        [ -n "$WEB_URL" ] && return 0
        kill -0 "$WEB_PID" 2>/dev/null || { cat "$WORK/$name.err" >&2; fail "$name exited early"; }
        sleep 0.1
    done
    fail "$name never printed its address"
}

# flat_ms FUNCTION FILE: FUNCTION's flat value in a `-unit=ms` top report
# (0 when it is not there).
flat_ms() {
    awk -v f="$1" '$NF == f { v = $1; sub(/ms$/, "", v); print v; found = 1 } END { if (!found) print 0 }' "$2"
}

# top_agrees PB TXT REGEX [ARGS...]: `cprof top ARGS PB` has the rows of
# `go tool pprof -top ARGS PB` exactly, and those matching REGEX of the
# same report of the debug=1 text TXT (from text, pprof symbolizes with the
# local binaries, which names libc's and the start files' frames by file).
top_agrees() {
    local pb=$1 txt=$2 re=$3
    shift 3
    "$CPROF" top "$@" "$pb" >"$WORK/cprof.top" 2>"$WORK/cprof.err" ||
        { cat "$WORK/cprof.err" >&2; fail "cprof top $* $pb"; }
    table_rows "$WORK/cprof.top" >"$WORK/cprof.rows"
    pprof_clean -top "$@" "$pb" >"$WORK/pprof.top"
    table_rows "$WORK/pprof.top" | cmp -s - "$WORK/cprof.rows" ||
        { diff <(table_rows "$WORK/pprof.top") "$WORK/cprof.rows" >&2; fail "cprof top $* differs from go tool pprof on $pb"; }
    pprof_clean -top "$@" "$txt" >"$WORK/pprof.top"
    diff <(table_rows "$WORK/pprof.top" | grep -E "$re") <(grep -E "$re" "$WORK/cprof.rows") >&2 ||
        fail "go tool pprof -top $* of $txt differs from cprof top"
}

# helper_value KEY FILE: N from the first "KEY=N" word in FILE (what a
# test helper measured itself and printed).
helper_value() {
    sed -n "s/.*\<$1=\([0-9][0-9]*\).*/\1/p" "$2" | head -n1
}

# status URL [CURL ARGS...]: the HTTP status; the body is in $WORK/body.
status() {
    local url=$1
    shift
    curl -s -o "$WORK/body" -w '%{http_code}' "$@" "$url"
}

# expect_status WANT URL [CURL ARGS...]
expect_status() {
    local want=$1 got
    shift
    got=$(status "$@")
    [ "$got" = "$want" ] || { head -c 600 "$WORK/body" >&2; fail "$* answered $got, want $want"; }
}
