# The interposed malloc family keeps every function's contract at rates that
# sample everything (1), often with unaligned samples (4096), with aligned
# samples (65536), and the default; same output as without the preload.
source "$(dirname "$0")/lib/common.sh"
"$HELPERS/alloc_api" >"$WORK/plain.out" || fail "alloc_api fails even without the preload"
for rate in 1 4096 65536 524288; do
    env CPROF_ADDR=off CPROF_HEAP_RATE=$rate LD_PRELOAD="$LIB" "$HELPERS/alloc_api" \
        >"$WORK/got.out" 2>"$WORK/got.err" || { cat "$WORK/got.err"; fail "rate $rate"; }
    cmp -s "$WORK/plain.out" "$WORK/got.out" || fail "rate $rate: output differs"
    [ -s "$WORK/got.err" ] && { cat "$WORK/got.err"; fail "rate $rate: unexpected stderr"; }
    echo "ok: rate $rate"
done
