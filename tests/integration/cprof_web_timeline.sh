# The web UI's Timeline view of a trace: `cprof -http` on the leaky
# subscriber's /debug/pprof/trace (a gzipped file, and the trace URL itself),
# checked with curl (routes, the compact data, the profile views' and a
# profile's explanations, malformed traces refused with one line and no
# hang, a large trace bounded and saying so) and in Debian's headless
# Chromium through playwright-core (tests/web/timeline.spec.mjs: a track for
# every thread, the subscribers' "subscribe" slices drawn, hover tooltip,
# zoom, pan, search highlighting). Screenshots in build/test-artifacts/web/.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
source "$(dirname "$0")/lib/redis.sh"
ARTIFACTS=$ROOT/build/test-artifacts/web
need_web_deps playwright-core
WEB_CPROF=$ROOT/build/asan/cprof # built by make asan
[ -x "$WEB_CPROF" ] || fail "$WEB_CPROF missing: run make asan"
export ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=exitcode=99:print_stacktrace=1
export CPROF_HOME=$WORK/saved

EX=$ROOT/build/examples/leaky-subscriber
start_redis
start_preloaded leaky "$EX/leaky" -p "$REDIS_PORT" -t 100
wait_for_line leaky ready
LEAKY=$BASE
curl -sf -H 'Accept-Encoding: gzip' -o "$WORK/t.json.gz" "$LEAKY/trace?seconds=2" || fail "GET trace"
gzip -t "$WORK/t.json.gz" || fail "the trace is not gzipped"
gzip -dc "$WORK/t.json.gz" >"$WORK/t.json"
curl -sf -o "$WORK/heap.pb.gz" "$LEAKY/heap" || fail "GET heap"
# The program threads of the trace: its CPU tracks (docs/TRACE.md's layout).
python3 - "$WORK/t.json" >"$WORK/tids.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
off = d["otherData"]["state_track_offset"]
print("\n".join(str(t) for t in sorted({e["tid"] % off for e in d["traceEvents"] if e["ph"] != "C" and e["tid"] != 0})))
PY
TIDS=$(paste -sd, "$WORK/tids.txt")
n_threads=$(wc -l <"$WORK/tids.txt")
[ "$n_threads" -ge 12 ] || fail "only $n_threads threads in the trace"

WEB_LIST=()
start_cprof_web file "$WEB_CPROF" "$WORK/t.json.gz"
FILE_URL=$WEB_URL WEB_LIST+=("$WEB_PID")
# HOST:PORT/debug/pprof/trace?seconds=1, as one gives go tool pprof a source.
start_cprof_web url "$WEB_CPROF" "${LEAKY#http://}/trace?seconds=1"
URL_URL=$WEB_URL WEB_LIST+=("$WEB_PID")
start_cprof_web profile "$WEB_CPROF" "$WORK/heap.pb.gz"
PROFILE_URL=$WEB_URL WEB_LIST+=("$WEB_PID")

# ---- curl: routes ------------------------------------------------------------
for path in / /ui/ /ui/timeline /ui/timeline.json /ui/assets/timeline.js; do
    expect_status 200 "$FILE_URL$path"
done
expect_status 200 "$FILE_URL/ui/timeline.json"
python3 - "$WORK/body" "$WORK/tids.txt" <<'PY' || fail "timeline.json"
import json, sys
d = json.load(open(sys.argv[1]))
want = {int(l) for l in open(sys.argv[2])}
got = {t["tid"] for t in d["threads"]}
assert got == want, (sorted(got), sorted(want))
assert d["cprof"] and d["limits"]["slices_sent"] == d["limits"]["slices_total"] > 0, d["limits"]
kinds = {l["kind"] for t in d["threads"] for l in t["lanes"]}
assert kinds == {"cpu", "state", "spans"}, kinds
names = d["names"]
spans = [names[l["slices"][i + 3]] for t in d["threads"] if t["name"].startswith("subscriber")
         for l in t["lanes"] if l["kind"] == "spans" for i in range(0, len(l["slices"]), 5)]
assert "subscribe" in spans, spans[:10]
counters = {c["name"] for c in d["counters"]}
assert "threads" in counters, counters
born = [t for t in d["threads"] if t["born"] is not None]
assert len(born) >= 12, len(born)
print("ok timeline.json:", len(d["threads"]), "threads,", d["limits"]["slices_sent"], "slices,",
      len(born), "created in the window, counters", sorted(counters))
PY
for path in /ui/flamegraph /ui/top /ui/download; do
    expect_status 404 "$FILE_URL$path"
    grep -q 'is a trace (Chrome Trace Event JSON), not a profile' "$WORK/body" || fail "$path on a trace: no reason"
done
page_token() {
    curl -s "$1/ui/timeline" | sed -n 's|.*action="/ui/refresh?back=[^"]*&amp;t=\([0-9a-f]*\)".*|\1|p' | head -n 1
}
expect_status 404 "$FILE_URL/ui/saveconfig?config=x&t=$(page_token "$FILE_URL")" -X POST -H "Origin: $FILE_URL"
# A profile: the views as before; /ui/timeline says why it has nothing to show.
expect_status 200 "$PROFILE_URL/ui/"
! grep -q 'nav-timeline' "$WORK/body" || fail "a profile's menu offers the Timeline"
expect_status 404 "$PROFILE_URL/ui/timeline"
grep -q 'The Timeline view shows a trace' "$WORK/body" || fail "no reason on a profile's /ui/timeline"
expect_status 404 "$PROFILE_URL/ui/timeline.json"
expect_status 200 "$PROFILE_URL/ui/flamegraph"
# Refresh of the URL source: a new trace.
token=$(page_token "$URL_URL")
[ -n "$token" ] || fail "no refresh token on the timeline page"
expect_status 303 "$URL_URL/ui/refresh?back=%2Fui%2Ftimeline&t=$token" -X POST -H "Origin: $URL_URL"
expect_status 200 "$URL_URL/ui/timeline"
! grep -q 'Refresh failed' "$WORK/body" || fail "refresh of the trace URL failed: $(grep -o 'Refresh failed[^<]*' "$WORK/body")"

# ---- malformed traces: one line, exit 1, quickly ------------------------------------
printf '{"traceEvents": 5}' >"$WORK/bad1.json"
printf '{"traceEvents":[{"ph":"X","name":"a","ts":1,' >"$WORK/bad2.json"
python3 -c 'print("[" * 100000)' >"$WORK/bad3.json"
printf '{"traceEvents":[1,2]}' >"$WORK/bad4.json"
head -c 300 "$WORK/t.json.gz" >"$WORK/bad5.json.gz"
for f in bad1.json bad2.json bad3.json bad4.json bad5.json.gz; do
    rc=0
    timeout 20 "$WEB_CPROF" -http=127.0.0.1:0 "$WORK/$f" >"$WORK/bad.out" 2>"$WORK/bad.err" || rc=$?
    [ "$rc" = 1 ] || { cat "$WORK/bad.err" >&2; fail "$f: exit $rc, want 1"; }
    [ "$(wc -l <"$WORK/bad.err")" = 1 ] && grep -q "^cprof: $WORK/$f: " "$WORK/bad.err" ||
        { cat "$WORK/bad.err" >&2; fail "$f: not one line naming the file"; }
    echo "ok malformed $f: $(cat "$WORK/bad.err")"
done

# ---- a large trace: bounded, and the page says so -------------------------------------
python3 - "$WORK/big.json" <<'PY'
import json, sys
# 40 threads x 5000 samples x 4 frames = 800,000 slices
with open(sys.argv[1], "w") as f:
    f.write('{"traceEvents":[')
    first = True
    for tid in range(1, 41):
        for i in range(5000):
            for depth in range(4):
                ev = '{"ph":"X","name":"f%d","pid":1,"tid":%d,"ts":%d,"dur":%d}' % (depth, tid, i * 100 + depth, 90 - 2 * depth)
                f.write(ev if first else "," + ev)
                first = False
    f.write("]}")
PY
start_cprof_web big "$WEB_CPROF" "$WORK/big.json"
BIG_URL=$WEB_URL WEB_LIST+=("$WEB_PID")
expect_status 200 "$BIG_URL/ui/timeline.json"
python3 - "$WORK/body" <<'PY' || fail "big timeline.json"
import json, sys
d = json.load(open(sys.argv[1]))
L = d["limits"]
assert L["slices_total"] == 800000 and 0 < L["slices_sent"] <= 300000 and L["depth_cut"] == 0, L
assert not d["cprof"] and len(d["threads"]) == 40
print("ok big trace:", L)
PY

# ---- the browser -------------------------------------------------------------------------
FILE_URL=$FILE_URL URL_URL=$URL_URL PROFILE_URL=$PROFILE_URL BIG_URL=$BIG_URL TIDS=$TIDS \
    ARTIFACTS=$ARTIFACTS timeout 300 node "$ROOT/tests/web/timeline.spec.mjs" ||
    fail "timeline.spec.mjs"
for png in timeline timeline-hover timeline-zoom timeline-search timeline-url timeline-big; do
    [ -s "$ARTIFACTS/$png.png" ] || fail "no screenshot $png.png"
done

# ---- clean shutdown, no leak (ASan's exit status) -------------------------------------------
for pid in "${WEB_LIST[@]}"; do
    rc=0
    kill -INT "$pid"
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] || { tail -n 40 "$WORK"/*.err >&2; fail "cprof -http exited $rc after SIGINT"; }
done
echo "ok"
