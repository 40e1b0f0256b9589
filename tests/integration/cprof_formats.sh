# Foreign profile formats, written in the test by the real tools from one
# small C program (lib/formats_prog.c, built here without libcprof):
#   - gperftools/tcmalloc heap (libtcmalloc under HEAPPROFILE) and CPU
#     (libprofiler under CPUPROFILE): `cprof top` equals `go tool pprof
#     -top` byte for byte, on the raw parse (-symbolize=none, addresses:
#     values, stacks, mappings, pprof's frame heuristics) and symbolized,
#     both from the binary named first on the command line and from the
#     files the profile's maps name. Symbolized tables are compared on the
#     program's own functions (-show): for frames without DWARF (libc,
#     _start) pprof's addr2line names nothing where cprof reads the symbol
#     table, a known difference of the symbolizers, not of the parsers;
#   - jemalloc heap_v2 (Debian's libjemalloc2, built with --enable-prof,
#     under MALLOC_CONF=prof:true..., dumped by mallctl("prof.dump")), which
#     pprof does not read: cprof names the allocation sites with the
#     unsampled sizes the program allocated;
#   - collapsed stacks (flamegraph.pl input), which pprof does not read:
#     the folded form of the CPU profile gives pprof's table of the
#     original, and a hand-written file gives its exact counts.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"

libpath() { # NAME: the installed shared library's path, or fail
    local p
    p=$(gcc -print-file-name="$1")
    [ -f "$p" ] || fail "$1 is not installed (scripts/install-deps.sh)"
    echo "$p"
}
TCMALLOC=$(libpath libtcmalloc.so.4)
PROFILER=$(libpath libprofiler.so.0)
JEMALLOC=$(libpath libjemalloc.so.2)

cc -std=gnu11 -O0 -g -fno-omit-frame-pointer -o "$WORK/prog" \
    "$ROOT/tests/integration/lib/formats_prog.c" -ldl || fail "formats_prog does not build"
cd "$WORK"
PROG=./prog
SHOW='-show=^(site_big|site_small|site_churn|spin|spin_hot|spin_warm|main)$'

# compare FILE: the parse and the symbolized tables, against pprof.
compare() {
    same_output -top -symbolize=none -addresses "$1"
    same_output -traces -symbolize=none "$1"
    same_output -top "$SHOW" "$PROG" "$1"
    same_output -top "$SHOW" "$1"
}

# ---- gperftools heap ----
HEAPPROFILE=$WORK/tc LD_PRELOAD=$TCMALLOC "$PROG" heap >/dev/null 2>"$WORK/tc.err" ||
    { cat "$WORK/tc.err" >&2; fail "prog under libtcmalloc"; }
[ -f "$WORK/tc.0001.heap" ] || { cat "$WORK/tc.err" >&2; fail "no HEAPPROFILE dump"; }
head -n1 tc.0001.heap | grep -q '^heap profile: ' || fail "not a gperftools heap profile"
grep -qx 'MAPPED_LIBRARIES:' tc.0001.heap || fail "no MAPPED_LIBRARIES section"
compare tc.0001.heap
same_output -top -inuse_objects "$SHOW" "$PROG" tc.0001.heap
# site_big keeps 8 MiB in 4 KiB blocks (tcmalloc records every block)
"$CPROF" -top -unit=B "$PROG" tc.0001.heap | grep -qE '^ +8388608B .* site_big$' ||
    fail "site_big is not 8 MiB in the tcmalloc profile"
# the subcommand form with the binary first, as in the README
"$CPROF" top "$PROG" tc.0001.heap | grep -q ' site_small$' || fail "cprof top PROG FILE"

# ---- gperftools CPU ----
CPUPROFILE=$WORK/cpu.prof LD_PRELOAD=$PROFILER "$PROG" cpu >/dev/null 2>"$WORK/cpu.err" ||
    { cat "$WORK/cpu.err" >&2; fail "prog under libprofiler"; }
[ -s cpu.prof ] || fail "no CPUPROFILE output"
compare cpu.prof
same_output -top -cum "$SHOW" "$PROG" cpu.prof
"$CPROF" -top "$PROG" cpu.prof | grep -qE ' spin$' || fail "spin is not in the CPU profile"

# ---- jemalloc heap_v2 ----
MALLOC_CONF=prof:true,lg_prof_sample:12,prof_prefix:$WORK/je LD_PRELOAD=$JEMALLOC \
    "$PROG" heap >/dev/null 2>"$WORK/je.err" || { cat "$WORK/je.err" >&2; fail "prog under libjemalloc"; }
grep -q 'prof.dump failed' je.err && fail "jemalloc has no profiling (needs --enable-prof)"
je=$(ls "$WORK"/je.*.m0.heap 2>/dev/null | head -n1)
[ -n "$je" ] || fail "no prof.dump file"
head -n1 "$je" | grep -qx 'heap_v2/4096' || fail "not a heap_v2 dump: $(head -n1 "$je")"
"$CPROF" -top -unit=B "$PROG" "$je" >je.top 2>je.top.err || { cat je.top.err >&2; fail "cprof top jemalloc"; }
cat je.top
# unsampled estimates of what each site keeps: 8 MiB and 256 KiB (within the
# sampling error at one sample per 4 KiB), nothing for site_churn
bytes_of() { awk -v f="$1" '$NF == f { sub(/B$/, "", $1); print $1 }' je.top; }
big=$(bytes_of site_big) small=$(bytes_of site_small)
[ -n "$big" ] && [ "$big" -gt 7549747 ] && [ "$big" -lt 9227469 ] ||
    fail "site_big: ${big:-none} bytes, want about 8388608"
[ -n "$small" ] && [ "$small" -gt 131072 ] && [ "$small" -lt 393216 ] ||
    fail "site_small: ${small:-none} bytes, want about 262144"
grep -q ' site_churn$' je.top && fail "site_churn's freed blocks are in the in-use profile"
# the stacks name the callers (allocator frames dropped)
"$CPROF" -traces "$PROG" "$je" 2>/dev/null | grep -A1 -E '^ +[0-9.]+[kM]B +site_big$' |
    grep -qE '^ +main$' || fail "jemalloc stack is not site_big <- main"
# symbolized from the maps alone too
"$CPROF" -top "$je" 2>/dev/null | grep -q ' site_big$' || fail "jemalloc profile without the binary"

# ---- collapsed stacks ----
"$CPROF" -collapsed -sample_index=samples "$PROG" cpu.prof >cpu.folded || fail "cprof -collapsed"
grep -qE '^[^ ]*;spin [0-9]+$' cpu.folded || fail "folded output: $(head -n3 cpu.folded)"
go tool pprof -top -sample_index=samples "$PROG" cpu.prof 2>/dev/null >cpu.samples.pprof
"$CPROF" -top cpu.folded >folded.cprof || fail "cprof top on collapsed stacks"
# the program's own rows: a sample that lands in libc is named by cprof
# (libc's symbol table or debug file) but is `[libc.so.6]` in pprof's table; sum% moves with them
table_rows cpu.samples.pprof | grep -E ' (spin|spin_hot|spin_warm|main)$' | awk '{print $1, $2, $4, $5, $6}' >want.rows
table_rows folded.cprof | grep -E ' (spin|spin_hot|spin_warm|main)$' | awk '{print $1, $2, $4, $5, $6}' >got.rows
[ -s want.rows ] && cmp -s want.rows got.rows ||
    { diff want.rows got.rows >&2; fail "collapsed: table differs from pprof's on the original"; }
printf 'main;serve;parse 30\nmain;serve;write 10\n\nmain;idle 5\n' >hand.folded
"$CPROF" -top hand.folded >hand.top || fail "cprof top hand.folded"
grep -qx 'Showing nodes accounting for 45, 100% of 45 total' hand.top || { cat hand.top; fail "collapsed total"; }
table_rows hand.top >hand.rows
cat >hand.want <<'ROWS'
        30 66.67% 66.67%         30 66.67%  parse
        10 22.22% 88.89%         10 22.22%  write
         5 11.11%   100%          5 11.11%  idle
         0     0%   100%         45   100%  main
         0     0%   100%         40 88.89%  serve
ROWS
cmp -s hand.want hand.rows || { diff hand.want hand.rows >&2; fail "collapsed rows"; }
echo "formats ok"
