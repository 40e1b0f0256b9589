# Known allocation sites, sampled at CPROF_HEAP_RATE=4096 (±10 % is >= 6
# standard deviations for every site): go tool pprof must report site A's
# and B's in-use bytes and site C's allocated bytes within ±10 % of the
# truth, C's in-use near 0, with function names and file:line; and the
# program's memory must be untouched.
source "$(dirname "$0")/lib/common.sh"
MiB=1048576
CPROF_HEAP_RATE=4096 CPROF_SEED=7 start_preloaded sites "$HELPERS/heapsites" 64 16 1024
wait_for_line sites ready
curl -sf -o "$WORK/heap.pb" "$BASE/heap" || fail "GET /heap"
pprof_clean -top -lines -unit=B -nodecount=100 -sample_index=inuse_space "$WORK/heap.pb" >"$WORK/inuse.txt"
pprof_clean -top -lines -unit=B -nodecount=100 -sample_index=alloc_space "$WORK/heap.pb" >"$WORK/alloc.txt"
cat "$WORK/inuse.txt"
python3 "$(dirname "$0")/lib/check_sites.py" "$WORK/inuse.txt" \
    site_a=$((64 * MiB)) site_b=$((16 * MiB)) site_c=0 \
    --file-line site_a=heapsites.c:23 --file-line site_b=heapsites.c:28 || fail "in-use space off"
python3 "$(dirname "$0")/lib/check_sites.py" "$WORK/alloc.txt" \
    site_c=$((1024 * MiB)) site_a=$((64 * MiB)) --file-line site_c=heapsites.c:33 || fail "alloc space off"
finish_app || fail "heapsites exited $? (3 = its memory changed)"
grep -qx verified "$WORK/sites.out" || fail "heapsites did not verify its memory"
