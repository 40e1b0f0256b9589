# The decoder under libFuzzer (fuzz/fuzz_decode.c, ASan and UBSan): built
# with clang from fuzz/build.sh, run for a bounded time from the committed
# seed corpus (real Go and libcprof profiles, gzip and raw, and malformed
# ones). Any crash, leak, sanitizer report, out-of-memory or failed round
# trip fails the test. New inputs go to a scratch copy, not to the repo.
source "$(dirname "$0")/lib/common.sh"
FUZZ_SECONDS=${CPROF_FUZZ_SECONDS:-30}

"$ROOT/fuzz/build.sh" "$WORK/fuzz_decode" >"$WORK/build.log" 2>&1 ||
    { cat "$WORK/build.log" >&2; fail "fuzzer does not build"; }
mkdir -p "$WORK/corpus" "$WORK/artifacts"
cp "$ROOT"/fuzz/corpus/* "$WORK/corpus/"
rc=0
"$WORK/fuzz_decode" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$WORK/artifacts/" -print_final_stats=1 "$WORK/corpus" \
    >"$WORK/fuzz.log" 2>&1 || rc=$?
if [ "$rc" != 0 ] || [ -n "$(ls "$WORK/artifacts")" ]; then
    tail -n 40 "$WORK/fuzz.log" >&2
    for a in "$WORK"/artifacts/*; do
        [ -e "$a" ] && { echo "crashing input (base64): $a" >&2; base64 "$a" | head -c 4000 >&2; }
    done
    fail "fuzzer found a problem (exit $rc)"
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/fuzz.log")
[ "${runs:-0}" -gt 1000 ] || { tail -n 20 "$WORK/fuzz.log" >&2; fail "fuzzer barely ran ($runs)"; }
echo "fuzz ok: $runs runs in ${FUZZ_SECONDS}s, no crash"
