# The decoders under libFuzzer (ASan and UBSan), built with clang from
# fuzz/build.sh and run for a bounded time each from their committed seed
# corpora: fuzz_decode (fuzz/fuzz_decode.c: real Go and libcprof profiles,
# gzip and raw, and malformed ones, through profile_parse) and fuzz_legacy
# (fuzz/fuzz_legacy.c: gperftools heap and CPU, Go debug=1 text, jemalloc
# and collapsed stacks written by the real tools, through the legacy
# readers). Any crash, leak, sanitizer report, out-of-memory or failed
# round trip fails the test. New inputs go to a scratch copy, not to the
# repo.
source "$(dirname "$0")/lib/common.sh"
FUZZ_SECONDS=${CPROF_FUZZ_SECONDS:-30}

# fuzz TARGET CORPUS_DIR
fuzz() {
    local t=$1 rc=0
    "$ROOT/fuzz/build.sh" "$WORK/$t" "$t" >"$WORK/$t.build.log" 2>&1 ||
        { cat "$WORK/$t.build.log" >&2; fail "$t does not build"; }
    mkdir -p "$WORK/$t.corpus" "$WORK/$t.artifacts"
    cp "$2"/* "$WORK/$t.corpus/"
    "$WORK/$t" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$WORK/$t.artifacts/" -print_final_stats=1 "$WORK/$t.corpus" \
        >"$WORK/$t.log" 2>&1 || rc=$?
    if [ "$rc" != 0 ] || [ -n "$(ls "$WORK/$t.artifacts")" ]; then
        tail -n 40 "$WORK/$t.log" >&2
        for a in "$WORK/$t.artifacts"/*; do
            [ -e "$a" ] && { echo "crashing input (base64): $a" >&2; base64 "$a" | head -c 4000 >&2; }
        done
        fail "$t found a problem (exit $rc)"
    fi
    local runs
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$t.log")
    [ "${runs:-0}" -gt 1000 ] || { tail -n 20 "$WORK/$t.log" >&2; fail "$t barely ran ($runs)"; }
    echo "$t ok: $runs runs in ${FUZZ_SECONDS}s, no crash"
}
fuzz fuzz_decode "$ROOT/fuzz/corpus"
fuzz fuzz_legacy "$ROOT/fuzz/corpus_legacy"
