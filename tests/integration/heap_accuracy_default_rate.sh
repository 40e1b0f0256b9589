# The same sites at the default rate (512 KiB), with volumes large enough
# that ±10 % is >= 4.5 standard deviations (>= 2048 expected samples per
# site): 1 GiB live in 4 KiB blocks, 1 GiB live in 64-byte blocks, 2 GiB
# allocated and freed.
source "$(dirname "$0")/lib/common.sh"
MiB=1048576
CPROF_SEED=11 start_preloaded sites "$HELPERS/heapsites" 1024 1024 2048
wait_for_line sites ready
curl -sf -o "$WORK/heap.pb" "$BASE/heap" || fail "GET /heap"
pprof_clean -top -lines -unit=B -nodecount=100 -sample_index=inuse_space "$WORK/heap.pb" >"$WORK/inuse.txt"
pprof_clean -top -lines -unit=B -nodecount=100 -sample_index=alloc_space "$WORK/heap.pb" >"$WORK/alloc.txt"
cat "$WORK/inuse.txt"
python3 "$(dirname "$0")/lib/check_sites.py" "$WORK/inuse.txt" \
    site_a=$((1024 * MiB)) site_b=$((1024 * MiB)) site_c=0 \
    --file-line site_a=heapsites.c:23 --file-line site_b=heapsites.c:28 || fail "in-use space off"
python3 "$(dirname "$0")/lib/check_sites.py" "$WORK/alloc.txt" \
    site_c=$((2048 * MiB)) site_a=$((1024 * MiB)) --file-line site_c=heapsites.c:33 || fail "alloc space off"
finish_app || fail "heapsites exited $? (3 = its memory changed)"
grep -qx verified "$WORK/sites.out" || fail "heapsites did not verify its memory"
