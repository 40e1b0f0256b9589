# check_heap_sites A_MIB B_MIB C_MIB: run tests/helpers/heapsites with those
# volumes under the preload (rate and seed from the caller's CPROF_*), read
# /heap with go tool pprof, and require site A's and B's in-use bytes and
# site C's allocated bytes within ±10 % of the truth, C's in-use near 0, each
# at its file:line, and the program's memory untouched. Sourced after common.sh.
check_heap_sites() {
    local a=$1 b=$2 c=$3 MiB=1048576 check
    check="python3 $(dirname "${BASH_SOURCE[0]}")/check_sites.py"
    start_preloaded sites "$HELPERS/heapsites" "$a" "$b" "$c"
    wait_for_line sites ready
    curl -sf -o "$WORK/heap.pb" "$BASE/heap" || fail "GET /heap"
    pprof_clean -top -lines -unit=B -nodecount=100 -sample_index=inuse_space "$WORK/heap.pb" >"$WORK/inuse.txt"
    pprof_clean -top -lines -unit=B -nodecount=100 -sample_index=alloc_space "$WORK/heap.pb" >"$WORK/alloc.txt"
    cat "$WORK/inuse.txt"
    $check "$WORK/inuse.txt" site_a=$((a * MiB)) site_b=$((b * MiB)) site_c=0 \
        --file-line site_a=heapsites.c:23 --file-line site_b=heapsites.c:28 || fail "in-use space off"
    $check "$WORK/alloc.txt" site_c=$((c * MiB)) site_a=$((a * MiB)) \
        --file-line site_c=heapsites.c:33 || fail "alloc space off"
    finish_app || fail "heapsites exited $? (3 = its memory changed)"
    grep -qx verified "$WORK/sites.out" || fail "heapsites did not verify its memory"
}
