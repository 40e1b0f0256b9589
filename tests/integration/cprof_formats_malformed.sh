# Malformed and hostile non-proto profiles (lib/cprof_badlegacy.py): each
# damaged gperftools heap or CPU, jemalloc, Go text or collapsed file gives
# exactly one "cprof: ..." line saying what is wrong, exit status 1, nothing
# on stdout; hostile sizes (a 200,000-frame stack, 100,000 stacks, a
# 300,000-address heap sample, 50,000 CPU records, a 100,000-line memory
# map) work within time and memory; and all of those plus 60 mutations of
# each real file (written here by libtcmalloc, libprofiler, libjemalloc,
# libcprof and a collapsed file) run through the ASan/UBSan build, which
# must end with status 0 or 1, never a crash, a report or a hang.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
cd "$WORK"

cc -std=gnu11 -O0 -g -fno-omit-frame-pointer -o prog "$ROOT/tests/integration/lib/formats_prog.c" \
    -ldl || fail "formats_prog does not build"
HEAPPROFILE=$WORK/tc LD_PRELOAD=$(gcc -print-file-name=libtcmalloc.so.4) ./prog heap >/dev/null 2>&1 ||
    fail "libtcmalloc heap profile"
CPUPROFILE=$WORK/cpu.prof LD_PRELOAD=$(gcc -print-file-name=libprofiler.so.0) ./prog cpu >/dev/null 2>&1 ||
    fail "libprofiler CPU profile"
MALLOC_CONF=prof:true,lg_prof_sample:12,prof_prefix:$WORK/je LD_PRELOAD=$(gcc -print-file-name=libjemalloc.so.2) \
    ./prog heap >/dev/null 2>&1 || fail "libjemalloc heap profile"
je=$(ls "$WORK"/je.*.m0.heap | head -n1)
CPROF_HEAP_RATE=4096 start_preloaded heap "$HELPERS/heapsites" 2 1 2
wait_for_line heap ready
curl -sf -o heap.txt "$BASE/heap?debug=1" || fail "GET /heap?debug=1"
curl -sf -o goroutine.txt "$BASE/goroutine?debug=1" || fail "GET /goroutine?debug=1"
finish_app || fail "heapsites exited $?"
"$CPROF" -collapsed -sample_index=samples cpu.prof >cpu.folded || fail "cprof -collapsed"

python3 "$ROOT/tests/integration/lib/cprof_badlegacy.py" "$WORK/gen" tc.0001.heap cpu.prof "$je" \
    heap.txt goroutine.txt cpu.folded || fail "could not generate the files"

while IFS=$'\t' read -r name want; do
    got=$(one_line_error 1 "$CPROF" top "gen/bad/$name")
    case $got in *"$want"*) echo "$name: $got" ;; *) fail "$name: '$got' does not say '$want'" ;; esac
done <gen/messages

for f in gen/big/*; do
    /usr/bin/time -f '%e s %M KiB' -o time.txt timeout 60 "$CPROF" top "$f" >big.out 2>big.err ||
        { cat big.err >&2; fail "$f: cprof failed ($?)"; }
    echo "$(basename "$f"): $(cat time.txt)"
    kib=$(awk '{print $3}' time.txt)
    [ "$kib" -lt 1048576 ] || fail "$f: cprof used $kib KiB"
done
"$CPROF" -top gen/big/deep.folded >deep.top && grep -qE " f199999$" deep.top || fail "deep.folded: leaf not named"

for f in gen/bad/* gen/big/*; do
    asan_run "$f" top "$f"
done
asan_run deep traces gen/big/deep.folded
batch=()
for f in gen/fuzz/*; do
    batch+=("$f")
    if [ "${#batch[@]}" = 30 ]; then
        asan_run "mutants ending ${f##*/}" top -symbolize=none "${batch[@]}"
        asan_run "mutants ending ${f##*/}" traces -symbolize=none "${batch[@]}"
        batch=()
    fi
done
[ "${#batch[@]}" = 0 ] || asan_run "last mutants" top -symbolize=none "${batch[@]}"
echo "malformed legacy files: all clean"
