# cprof's reports equal go tool pprof's, byte for byte, on real Go profiles
# (the strings package benchmarks, CPU and heap): top for CPU and for every
# heap sample index (by name, by number, by shortcut), with -base,
# -diff_base, -focus, -ignore and the other filters (numeric tag ranges
# too), granularities and
# sort orders; and tree, peek, traces, tags, list and raw (whose sample and
# location numbering shows that profiles are merged exactly as pprof merges
# them). Then -proto: the profile cprof writes, read back by pprof, gives
# the same table.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
go_profiles "$WORK/go"
cd "$WORK/go"

for args in "" -cum -nodecount=12 -lines -files -addresses -filefunctions -noinlines \
    -focus=FieldsFunc -ignore=runtime -focus=strings -ignore=unicode -hide=runtime \
    -show=strings -show_from=Fields -prune_from=Index -unit=ms -base=cpu2.out \
    -diff_base=cpu2.out "-base=cpu2.out -focus=Fields" "-diff_base=cpu2.out -ignore=runtime"; do
    same_output -top $args cpu.out
done

for si in "" -sample_index=alloc_space -sample_index=alloc_objects -sample_index=inuse_space \
    -sample_index=inuse_objects -sample_index=0 -sample_index=1 -sample_index=2 \
    -sample_index=3 -alloc_space -alloc_objects -inuse_space -inuse_objects; do
    same_output -top $si mem.out
    same_output -top $si -base=mem2.out mem.out
    same_output -top $si -diff_base=mem2.out mem.out
    same_output -top $si -focus=strings mem.out
    same_output -top $si -ignore=testing mem.out
done

same_output -tree cpu.out
# With a base, edges of equal but opposite weights have no defined order in
# pprof (its own output varies run to run): compare the lines, not their order.
go tool pprof -tree -diff_base=cpu2.out cpu.out 2>/dev/null | sort >"$WORK/tree.pprof"
"$CPROF" -tree -diff_base=cpu2.out cpu.out | sort >"$WORK/tree.cprof"
cmp -s "$WORK/tree.pprof" "$WORK/tree.cprof" || fail "tree -diff_base lines differ"
same_output -peek='strings\.(Fields|Index)' cpu.out
same_output -peek=Replace mem.out
same_output -traces cpu.out
same_output -traces -alloc_objects mem.out
same_output -tags mem.out
for tf in -tagfocus=1kb: -tagfocus=bytes=1b:1gb -tagignore=:1kb -tagignore=1kb:; do
    same_output -top $tf mem.out
done
same_output -tags -tagfocus=1kb: mem.out
same_output -tags -tagfocus=bytes=1b:1gb mem.out
same_output -raw mem.out
same_output -raw -focus=Fields -diff_base=cpu2.out cpu.out
same_output -list='strings\.FieldsFunc$' cpu.out
same_output -list=Repeat -alloc_space mem.out

# The subcommand form prints the same as the flag form.
"$CPROF" top -focus=FieldsFunc cpu.out >"$WORK/sub.out" || fail "cprof top"
go tool pprof -top -focus=FieldsFunc cpu.out >"$WORK/flag.out" 2>/dev/null
cmp -s "$WORK/sub.out" "$WORK/flag.out" || fail "cprof top differs from -top"

# -proto writes the merged, filtered profile: pprof reads it and finds the
# same values (percentages differ: the total of a filtered profile is
# smaller, as with pprof's own -proto).
"$CPROF" -proto -focus=Fields -diff_base=cpu2.out -output "$WORK/out.pb.gz" cpu.out 2>/dev/null ||
    fail "cprof -proto"
pprof_clean -top "$WORK/out.pb.gz" >"$WORK/reread.txt"
"$CPROF" -top -focus=Fields -diff_base=cpu2.out cpu.out >"$WORK/direct.txt"
values() { table_rows "$1" | awk '{ $2 = $3 = $5 = ""; print }'; }
diff <(values "$WORK/reread.txt") <(values "$WORK/direct.txt") >&2 ||
    fail "the -proto output does not give the same table"
[ -n "$(table_rows "$WORK/direct.txt")" ] || fail "empty table"
