# A hostile profile: one 100,000-frame stack (generated here). Every report
# of the ASan build, and the web UI's flame graph, handles it with the
# default 8 MB stack: nothing may recurse once per frame on the C stack
# (the flame graph did, and crashed past ~20,000 frames).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
ACPROF=$ROOT/build/asan/cprof # built by make asan
[ -x "$ACPROF" ] || fail "$ACPROF missing: run make asan"
export ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=exitcode=99:print_stacktrace=1
ulimit -s 8192
DEPTH=100000
python3 "$ROOT/tests/integration/lib/cprof_deep_profile.py" $DEPTH "$WORK/deep.pb.gz"
cd "$WORK"

for r in top traces tree svg dot proto collapsed raw text peek=f5 list=f5; do
    "$ACPROF" -$r deep.pb.gz >"$WORK/out.$r" 2>"$WORK/err.$r" ||
        { tail -n 20 "$WORK/err.$r" >&2; fail "cprof -$r on a $DEPTH-frame stack failed"; }
    [ -s "$WORK/out.$r" ] || fail "cprof -$r printed nothing"
    echo "ok: -$r"
done
# The flame graph holds every frame, nested: 100,001 <g> (with "all").
[ "$(grep -c '^<g ' out.svg)" = $((DEPTH + 1)) ] || fail "flame graph does not hold every frame"
[ "$(grep -c '^</g>$' out.svg)" = $((DEPTH + 1)) ] || fail "flame graph <g>s are not closed"
grep -q '<title>f99999 (50ms, ' out.svg || fail "the deepest frame is missing"
# The leaf is in top and traces; the proto output reads back.
grep -q ' f99999$' out.top || fail "top misses the leaf"
grep -q ' f99999$' out.traces || fail "traces misses the leaf"
"$ACPROF" -top out.proto >"$WORK/again.top" 2>/dev/null || fail "the -proto output does not read back"
cmp -s out.top again.top || fail "the -proto output differs from the input"

# The web UI serves the flame graph of the same profile and stays up.
start_cprof_web web "$ACPROF" deep.pb.gz
URL=$WEB_URL
code=$(curl -s -o "$WORK/flame.html" -w '%{http_code}' --max-time 120 "$URL/ui/flamegraph")
[ "$code" = 200 ] || { cat "$WORK/web.err" >&2; fail "/ui/flamegraph: status $code"; }
grep -q 'f99999' "$WORK/flame.html" || fail "/ui/flamegraph misses the deepest frame"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "$URL/ui/")
[ "$code" = 200 ] || fail "web UI down after the flame graph (status $code)"
kill "$WEB_PID"
wait "$WEB_PID" 2>/dev/null || true
echo "PASS cprof_deep_stack"
