# Every profile we serve, proto (debug=0) and text (debug=1), for heap and
# allocs, read by go tool pprof without a warning: from saved files and
# straight from the URL (which makes pprof use /symbol for the text form).
source "$(dirname "$0")/lib/common.sh"
CPROF_HEAP_RATE=4096 start_preloaded sites "$HELPERS/heapsites" 8 2 64
wait_for_line sites ready
for name in heap allocs; do
    curl -sf -o "$WORK/$name.pb" "$BASE/$name" || fail "GET /$name"
    [ "$(head -c2 "$WORK/$name.pb" | od -An -tx1 | tr -d ' ')" = 1f8b ] || fail "$name is not gzip"
    curl -sf -o "$WORK/$name.txt" "$BASE/$name?debug=1" || fail "GET /$name?debug=1"
    head -n1 "$WORK/$name.txt" | grep -qE '^heap profile: [0-9]+: [0-9]+ \[[0-9]+: [0-9]+\] @ heap/8192$' ||
        fail "$name?debug=1 header: $(head -n1 "$WORK/$name.txt")"
    for src in "$WORK/$name.pb" "$WORK/$name.txt" "$BASE/$name" "$BASE/$name?debug=1"; do
        pprof_clean -top "$src" >"$WORK/top.txt"
        grep -q site_a "$WORK/top.txt" || { cat "$WORK/top.txt"; fail "site_a missing from $src"; }
    done
    pprof_clean -raw "$WORK/$name.pb" >/dev/null
    pprof_clean -traces "$WORK/$name.pb" >/dev/null
done
# The allocs profile defaults to alloc_space, heap to inuse_space (Go's choice).
pprof_clean -top "$WORK/allocs.pb" | grep -q '^Type: alloc_space' || fail "allocs default type"
pprof_clean -top "$WORK/heap.pb" | grep -q '^Type: inuse_space' || fail "heap default type"
# Sample types in Go's order, period type space/bytes.
pprof_clean -raw "$WORK/heap.pb" | grep -q 'alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes' ||
    fail "sample types"
finish_app || fail "heapsites exited with $?"
