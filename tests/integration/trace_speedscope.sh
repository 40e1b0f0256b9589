# A real consumer opens the trace: speedscope (npm, pinned in
# tests/web/package-lock.json) in Debian's headless Chromium through
# playwright-core. The leaky subscriber's trace, as served and as `cprof
# trace -speedscope` converts it: speedscope lists one profile per track
# that has slices (per thread: its CPU, its spans; the served JSON also its
# states), and a subscriber's profile shows its "subscribe" span frame.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/redis.sh"
need_web_deps playwright-core speedscope
EX=$ROOT/build/examples/leaky-subscriber
start_redis
start_preloaded leaky "$EX/leaky" -p "$REDIS_PORT" -t 100
wait_for_line leaky ready
curl -sf -o "$WORK/t.json" "$BASE/trace?seconds=2" || fail "GET trace"
"$ROOT/build/cprof" trace -top 0 -speedscope "$WORK/t.speedscope.json" "$WORK/t.json" >/dev/null ||
    fail "cprof trace -speedscope"
# Tracks with slices, counted from the trace itself.
count() {
    python3 - "$WORK/t.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
state_off = d["otherData"]["state_track_offset"]
span_off = d["otherData"]["span_track_offset"]
tids = {e["tid"] for e in d["traceEvents"] if e["ph"] == "X"}
if sys.argv[2] == "converted":
    tids = {t for t in tids if not (state_off <= t < span_off)}
print(len(tids))
PY
}
json_n=$(count served)
conv_n=$(count converted)
[ "$conv_n" -ge 10 ] || fail "only $conv_n tracks with slices"
ART=$WORK/artifacts
PROFILE=$WORK/t.json THREADS=$json_n FRAME=subscribe NAME="subscriber (" ARTIFACTS=$ART LABEL=served \
    timeout 300 node "$ROOT/tests/web/speedscope.spec.mjs" || fail "speedscope on the served trace"
PROFILE=$WORK/t.speedscope.json THREADS=$conv_n FRAME=subscribe NAME="subscriber (" ARTIFACTS=$ART \
    LABEL=converted timeout 300 node "$ROOT/tests/web/speedscope.spec.mjs" ||
    fail "speedscope on cprof trace -speedscope's file"
for png in served-timeline served-sandwich converted-timeline converted-sandwich; do
    [ -s "$ART/$png.png" ] || fail "no screenshot $png.png"
done
finish_app || true
echo "ok"
