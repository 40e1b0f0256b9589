# A CPU profile is the program's work only: cprof's own threads (HTTP
# server, encoders, symbolizer) are not sampled, even while a client
# hammers the heavy endpoints during the profile, and the CPU they used is
# reported apart: a comment in the profile (nonzero here) and a line on the
# index page.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cpu_own.sh"
start_preloaded split "$HELPERS/cpu_split"
wait_for_line split ready

hammer() {
    while :; do
        for p in "threads?debug=2" heap "heap?debug=1" "goroutine?debug=2" threads; do
            curl -s -o /dev/null --max-time 10 "$BASE/$p" || true
        done
    done
}
hammer &
PIDS+=($!)
hammer &
PIDS+=($!)
sleep 0.5
curl -sf -o "$WORK/p.pb.gz" "$BASE/profile?seconds=3&hz=500" || fail "the CPU profile failed"

pprof_clean -raw "$WORK/p.pb.gz" >"$WORK/raw.txt"
# Mappings of cprof and the libraries only its threads run; no location of
# the profile may be in one of them.
own_maps=$(own_code_mappings "$WORK/raw.txt")
echo "mappings of cprof's own code: $own_maps"
for m in $own_maps; do
    if grep -E "^ +[0-9]+: 0x[0-9a-f]+ M=$m " "$WORK/raw.txt" >"$WORK/own_locs.txt"; then
        head "$WORK/own_locs.txt" >&2
        fail "the CPU profile has cprof's own code (mapping $m)"
    fi
done
for f in MHD_ deflate dwfl_ dwarf_ symbolize pprof_encode threads_snapshot heap_profile; do
    ! grep -v '^Comment:' "$WORK/raw.txt" | grep -q "$f" || fail "the CPU profile has cprof's own frame $f"
done
# The program's work is there.
grep -qE ' (f|g|h) ' "$WORK/raw.txt" || fail "the program's functions are missing"

go tool pprof -comments "$WORK/p.pb.gz" >"$WORK/comments.txt" 2>&1
own=$(sed -n 's/^cprof: its own threads (HTTP server, encoders, symbolizer) used \([0-9.]*\) s of CPU during this profile, not sampled and not included$/\1/p' \
    "$WORK/comments.txt")
[ -n "$own" ] || { cat "$WORK/comments.txt" >&2; fail "no own-CPU comment"; }
awk -v s="$own" 'BEGIN { exit !(s > 0) }' || fail "own CPU reported as $own s"
echo "cprof's own threads used $own s during the profile"

curl -sf "$BASE/" | grep -qE "^<p>cprof(&#39;|')s own threads: [0-9]+ threads?, [0-9.]+ s of CPU since start \(not in the CPU profile\)\.</p>$" ||
    fail "the index page has no own-CPU line"
