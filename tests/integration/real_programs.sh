# Real programs run normally with the library preloaded: same stdout, same
# exit status as without it, at the default rate and at rate 1 (every
# allocation sampled). Each gets its own listener on port 0.
source "$(dirname "$0")/lib/common.sh"
cd "$WORK"
git init -q repo && (cd repo && echo hello >f && git add f && git -c user.email=t@t -c user.name=t commit -qm one)
commands=(
    "ls -la /usr/bin"
    "bash -c 'for i in 1 2 3; do echo \$i | tr 1 x; done; (sleep 0.1; echo sub) & wait; seq 1 5000 | sort -r | head -3'"
    "python3 -c 'import json,zlib; d={str(i): list(range(i % 50)) for i in range(20000)}; print(len(zlib.compress(json.dumps(d).encode())))'"
    "git --version"
    "git -C repo log --oneline --stat"
    "sh -c 'exit 7'"
)
for rate in 524288 1; do
    for cmd in "${commands[@]}"; do
        want_rc=0
        bash -c "$cmd" >"$WORK/want.out" 2>/dev/null || want_rc=$?
        got_rc=0
        env CPROF_ADDR=127.0.0.1:0 CPROF_HEAP_RATE=$rate LD_PRELOAD="$LIB" bash -c "$cmd" \
            >"$WORK/got.out" 2>"$WORK/got.err" || got_rc=$?
        [ "$got_rc" = "$want_rc" ] || { cat "$WORK/got.err"; fail "[$cmd] exit $got_rc, wanted $want_rc"; }
        cmp -s "$WORK/want.out" "$WORK/got.out" || { diff "$WORK/want.out" "$WORK/got.out" | head; fail "[$cmd] output differs"; }
        # Allowed: each process's port, and forked children (subshells) saying
        # they have none.
        if grep -vE '^cprof: pid [0-9]* (serving http://127.0.0.1:[0-9]*/debug/pprof/|\(forked from [0-9]*\) has no HTTP listener; exec gives a child its own)$' \
            "$WORK/got.err" | grep -q 'cprof'; then
            cat "$WORK/got.err"
            fail "[$cmd] unexpected cprof messages"
        fi
        echo "ok (rate $rate): $cmd"
    done
done
