# Helpers for the cprof tool tests (sourced after common.sh).
CPROF=$ROOT/build/cprof

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
