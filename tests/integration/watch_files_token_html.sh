# cprof watch around the verdict: --token against a program with
# CPROF_TOKEN, --html (one inline SVG chart per suspect, escaped, no
# external assets), the saved snapshots watched again as files (same
# verdict; the saved threads dump gives the creator), too few snapshots, and
# the errors that exit 2 with one line: no token (401), unreachable URL, bad
# options, unreadable files, URLs mixed with files.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/watch.sh"
TOKEN=s3cret-watch
CPROF_TOKEN=$TOKEN start_target leak "$HELPERS/watch_targets" thread-leak
URL=${TARGET_URL[leak]}

# 401 without the token: exit 2, one line on stderr, nothing on stdout
rc=0
"$CPROF" watch --interval 0.5s --duration 2s "$URL" >"$WORK/o.txt" 2>"$WORK/e.txt" || rc=$?
[ "$rc" = 2 ] || fail "no token: exit $rc, want 2"
grep -q '^cprof: .*401 Unauthorized' "$WORK/e.txt" && [ "$(wc -l <"$WORK/e.txt")" = 1 ] ||
    { cat "$WORK/e.txt"; fail "no token: message"; }
[ ! -s "$WORK/o.txt" ] || fail "no token: stdout not empty"

# -H sends any header: the token that way works too
rc=0
"$CPROF" watch -H "Authorization: Bearer $TOKEN" --interval 0.5s --duration 1s --profiles threads \
    --save-dir "$WORK" "$URL" >"$WORK/o.txt" 2>"$WORK/e.txt" || rc=$?
[ "$rc" = 0 ] && grep -q '^Too few snapshots' "$WORK/o.txt" || { cat "$WORK/o.txt" "$WORK/e.txt"; fail "-H: exit $rc"; }

# --save-dir that does not exist yet: created with its parents, mode 0755
umask 022
rc=0
"$CPROF" watch --token "$TOKEN" --interval 0.5s --duration 1s --profiles threads \
    --save-dir "$WORK/new/a/b" "$URL" >"$WORK/o.txt" 2>"$WORK/e.txt" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/o.txt" "$WORK/e.txt"; fail "new --save-dir: exit $rc"; }
[ "$(stat -c %a "$WORK/new/a/b")" = 755 ] && [ "$(stat -c %a "$WORK/new/a")" = 755 ] ||
    fail "new --save-dir: mode $(stat -c %a "$WORK/new/a/b")"
ls "$WORK/new/a/b" | grep -q '\.pb\.gz$' || fail "new --save-dir: no snapshot saved"
# one that cannot be made (under a regular file): exit 2, one line
: >"$WORK/plain"
rc=0
"$CPROF" watch --token "$TOKEN" --interval 0.5s --duration 1s --save-dir "$WORK/plain/x" "$URL" \
    >"$WORK/o.txt" 2>"$WORK/e.txt" || rc=$?
[ "$rc" = 2 ] && grep -q "^cprof: --save-dir $WORK/plain/x: Not a directory" "$WORK/e.txt" &&
    [ "$(wc -l <"$WORK/e.txt")" = 1 ] || { cat "$WORK/e.txt"; fail "bad --save-dir: exit $rc"; }

# with the token: the leak, an HTML report
start_watch leak --token "$TOKEN" --interval 0.5s --duration 10s --profiles threads \
    --html "$WORK/report.html"
finish_watch leak
[ "$WATCH_RC" = 1 ] || { cat "$WORK/leak.report" "$WORK/leak.progress"; fail "token: exit $WATCH_RC, want 1"; }
grep -q '^  threads  *park_forever (watch_targets.c:[0-9]*) .*created by spawn_worker' "$WORK/leak.report" ||
    { cat "$WORK/leak.report"; fail "token: verdict"; }
python3 - "$WORK/report.html" "$(grep -c '^LEAK' "$WORK/leak.report")" <<'PY' || fail "html report"
import sys, html.parser
text = open(sys.argv[1]).read()
want = int(sys.argv[2])
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.charts = 0; s.points = []; s.sections = 0; s.ext = []
    def handle_starttag(s, tag, a):
        a = dict(a)
        if tag == 'svg' and a.get('class') == 'chart': s.charts += 1
        if tag == 'polyline': s.points.append(len(a['points'].split()))
        if tag == 'section': s.sections += 1
        for k in ('src', 'href'):
            if k in a and a[k] and not a[k].startswith('#'): s.ext.append(a[k])
p = P(); p.feed(text)
assert p.charts == want and p.sections == want, (p.charts, want)
assert all(n >= 15 for n in p.points), p.points
assert not p.ext, p.ext
assert 'park_forever' in text and 'Verdict: leak found.' in text
assert '<script' not in text
PY
n_threads=$(ls "$WORK/leak.snaps"/*.threads.*.pb.gz | wc -l)
[ "$n_threads" -ge 15 ] || fail "saved $n_threads threads snapshots"
dump=$(ls "$WORK/leak.snaps"/*threads-debug2*.txt) || fail "no saved threads dump"

# the same snapshots as files: same culprit; the dump names the creator
rc=0
"$CPROF" watch "$WORK/leak.snaps"/*.pb.gz "$dump" >"$WORK/files.txt" 2>"$WORK/files.err" || rc=$?
[ "$rc" = 1 ] || { cat "$WORK/files.txt" "$WORK/files.err"; fail "files: exit $rc, want 1"; }
grep -q '^  threads  *park_forever (watch_targets.c:[0-9]*) .*created by spawn_worker' "$WORK/files.txt" ||
    { cat "$WORK/files.txt"; fail "files: verdict"; }
grep -q "^cprof watch: $n_threads snapshots" "$WORK/files.txt" || { head -1 "$WORK/files.txt"; fail "files: count"; }
# without the dump: the culprit, creator unknown
rc=0
"$CPROF" watch "$WORK/leak.snaps"/*.pb.gz >"$WORK/files2.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q 'created by: unknown' "$WORK/files2.txt" || { cat "$WORK/files2.txt"; fail "files without dump"; }
# three snapshots are too few to judge: no leak, said so
rc=0
"$CPROF" watch $(ls "$WORK/leak.snaps"/*.threads.*.pb.gz | head -3) >"$WORK/few.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] && grep -q '^Too few snapshots' "$WORK/few.txt" || { cat "$WORK/few.txt"; fail "too few: exit $rc"; }

# Ctrl-C (SIGINT) ends an open-ended watch early: it still judges and reports
"$CPROF" watch --token "$TOKEN" --interval 0.5s --duration 0 --profiles threads \
    --save-dir "$WORK/leak.snaps" "$URL" >"$WORK/int.txt" 2>"$WORK/int.err" &
watch_pid=$!
sleep 6
kill -INT "$watch_pid"
rc=0
wait "$watch_pid" || rc=$?
[ "$rc" = 1 ] || { cat "$WORK/int.txt" "$WORK/int.err"; fail "after Ctrl-C: exit $rc, want 1"; }
grep -q '^cprof watch: [0-9]* snapshots over [0-9]*s (stopped early)' "$WORK/int.txt" &&
    grep -q '^  threads  *park_forever' "$WORK/int.txt" || { cat "$WORK/int.txt"; fail "after Ctrl-C: report"; }

# errors: exit 2 and one line starting with "cprof: "
expect_error() { # PATTERN ARGS...
    local pat=$1 rc=0
    shift
    "$CPROF" watch "$@" >"$WORK/o.txt" 2>"$WORK/e.txt" || rc=$?
    [ "$rc" = 2 ] || { cat "$WORK/e.txt"; fail "watch $*: exit $rc, want 2"; }
    [ "$(wc -l <"$WORK/e.txt")" = 1 ] && grep -q "^cprof: .*$pat" "$WORK/e.txt" ||
        { cat "$WORK/e.txt"; fail "watch $*: message"; }
    [ ! -s "$WORK/o.txt" ] || fail "watch $*: stdout not empty"
}
expect_error 'connection refused' --duration 2s http://127.0.0.1:1/debug/pprof/
expect_error 'bad interval' --interval 5x "$URL"
expect_error 'bad duration' --duration -3s "$URL"
expect_error 'unknown profile "cpu"' --profiles cpu "$URL"
expect_error 'unknown option --bogus' --bogus "$URL"
expect_error 'no URL or file' --interval 1s
expect_error 'No such file' "$WORK/nosuch.pb.gz"
expect_error 'either URLs or files' "$URL" "$dump"
echo "not a profile" >"$WORK/junk.txt"
expect_error 'junk.txt' "$WORK/junk.txt"
"$CPROF" watch -help | grep -q '^usage: cprof watch' || fail "watch -help"
stop_target leak
echo "token, html, files ($n_threads snapshots), errors: ok"
