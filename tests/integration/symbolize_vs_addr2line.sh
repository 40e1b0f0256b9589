# cprof's frames agree with `addr2line -i -f` for every sampled address of a
# program whose one compilation unit holds 4,000 functions, each with an
# inlined malloc helper (bench/gen_many_funcs.py): function names, file:line
# and inline frames, all of them. The unit's size is what made per-address
# DIE walks slow; the request must also come back quickly.
source "$(dirname "$0")/lib/common.sh"
python3 "$ROOT/bench/gen_many_funcs.py" 4000 "$WORK/many.c"
gcc -O1 -g -o "$WORK/many" "$WORK/many.c" || fail "gcc"
CPROF_HEAP_RATE=4096 start_preloaded many "$WORK/many"
wait_for_line many ready
curl -sf --max-time 30 -o "$WORK/heap.txt" "$BASE/heap?debug=1" || fail "heap?debug=1"
cp "/proc/$APP_PID/maps" "$WORK/maps"
finish_app || fail "many exited $?"
grep -q $'\tf3999+0x[0-9a-f]*\t' "$WORK/heap.txt" || fail "the last function's site is not in the profile"
out=$(python3 "$ROOT/bench/compare_addr2line.py" "$WORK/heap.txt" "$WORK/maps" "$WORK/many" \
    "$WORK/cmp") || { echo "$out"; fail "frames differ from addr2line"; }
echo "$out"
n=$(echo "$out" | sed -n 's/^compared \([0-9]*\) addresses.*/\1/p')
[ "${n:-0}" -ge 3900 ] || fail "only ${n:-0} addresses compared"
