# Go's legacy text profiles (debug=1), as libcprof serves them: heap and
# allocs (`heap profile: ... @ heap/2*rate`), goroutine, threads and
# threadcreate (`NAME profile: total N`), mutex (`--- mutex:`) and block
# (`--- contention:`), each with its MAPPED_LIBRARIES section. `cprof top`
# equals `go tool pprof -top` byte for byte on the raw parse
# (-symbolize=none: values, unsampling, stacks, mappings) and, symbolized
# from the mapped files and from the binary given first, on the program's
# own functions (-show; see cprof_formats.sh for why frames without DWARF
# are left out of the comparison).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
cd "$WORK"

# compare FILE BINARY SHOW_REGEX
compare() {
    same_output -top -symbolize=none -addresses "$1"
    same_output -traces -symbolize=none "$1"
    same_output -top "-show=$3" "$1"
    same_output -top "-show=$3" "$2" "$1"
}

CPROF_HEAP_RATE=4096 start_preloaded heap "$HELPERS/heapsites" 4 1 8
wait_for_line heap ready
for p in heap allocs goroutine threads threadcreate; do
    curl -sf -o "$p.txt" "$BASE/$p?debug=1" || fail "GET /$p?debug=1"
done
finish_app || fail "heapsites exited $?"
head -n1 heap.txt | grep -q '^heap profile: .* @ heap/8192$' || fail "heap text header: $(head -n1 heap.txt)"
head -n1 goroutine.txt | grep -q '^goroutine profile: total ' || fail "goroutine text header"
for p in heap allocs; do
    compare $p.txt "$HELPERS/heapsites" '^(site_a|site_b|site_c|main)$'
    same_output -top -sample_index=alloc_space '-show=^(site_a|site_b|site_c|main)$' $p.txt
done
"$CPROF" -top heap.txt 2>/dev/null | grep -q ' site_a$' || fail "site_a is not named"
for p in goroutine threads; do
    compare $p.txt "$HELPERS/heapsites" '^main$'
done
same_output -top -symbolize=none threadcreate.txt

CPROF_MUTEX_RATE=1 start_preloaded locks "$HELPERS/locksites" 4 2 600
wait_for_line locks ready
curl -sf -o mutex.txt "$BASE/mutex?debug=1" || fail "GET /mutex?debug=1"
finish_app || fail "locksites exited $?"
head -n1 mutex.txt | grep -qx -- '--- mutex:' || fail "mutex text header"
compare mutex.txt "$HELPERS/locksites" '^(wait_a|wait_b|worker)$'
"$CPROF" -top mutex.txt 2>/dev/null | grep -q ' wait_a$' || fail "wait_a is not named"

CPROF_BLOCK_RATE=1 start_preloaded block "$HELPERS/blocksites" 5
wait_for_line block ready
curl -sf -o block.txt "$BASE/block?debug=1" || fail "GET /block?debug=1"
finish_app || fail "blocksites exited $?"
head -n1 block.txt | grep -qx -- '--- contention:' || fail "block text header"
compare block.txt "$HELPERS/blocksites" '^(wait_cond|wait_sem|join_waiters|main)$'
"$CPROF" -top block.txt 2>/dev/null | grep -q ' wait_sem$' || fail "wait_sem is not named"
echo "go text formats ok"

# A Go program's own debug=1 text: no memory map, so the addresses are
# symbolized from the binary named first, as pprof does (a mapping over the
# whole address space, file addresses of a non-PIE executable). pprof names
# the runtime's assembly frames from DWARF (runtime.goexit) where cprof's
# symbolizer falls back to the symbol table (runtime.goexit.abi0), so the
# runtime's frames are hidden from the comparison (a symbolizer matter).
mkdir -p gosrc
cp "$ROOT/tests/integration/lib/formats_go/main.go" gosrc/
printf 'module formatsgo\n\ngo 1.19\n' >gosrc/go.mod
(cd gosrc && GOFLAGS=-mod=mod GOCACHE=$WORK/gocache GOPATH=$WORK/gopath go build -o ../gop .) ||
    fail "formats_go does not build"
./gop || fail "formats_go failed"
for p in heap allocs goroutine; do
    same_output -top -symbolize=none -addresses $p.txt
    same_output -top '-hide=^runtime\.' ./gop $p.txt
done
same_output -top -sample_index=alloc_objects '-hide=^runtime\.' ./gop allocs.txt
"$CPROF" top ./gop heap.txt | grep -q ' main\.grow$' || fail "main.grow is not named"
echo "go program's text ok"
