# The two heap views Go has no endpoint for, read by go tool pprof:
#  - /debug/pprof/peak: the program allocates a 64 MiB spike in 1 KiB blocks
#    (fill_spike) and frees it all; the live heap no longer shows it, the
#    peak still does (within the 1/16 capture margin and sampling error);
#  - /debug/pprof/heap?min_age=S: 8 MiB kept by keep_early, 8 MiB by
#    keep_late 5 s later; min_age=3 right after keeps only keep_early.
# Bad min_age values and min_age on other profiles are 400s with a reason.
source "$(dirname "$0")/lib/common.sh"
start_preloaded views "$HELPERS/watch_targets" views
wait_for_line views "views done" 60
curl -sf -o "$WORK/aged.pb.gz" "$BASE/heap?min_age=3" || fail "GET heap?min_age=3"
curl -sf -o "$WORK/heap.pb.gz" "$BASE/heap" || fail "GET heap"
curl -sf -o "$WORK/peak.pb.gz" "$BASE/peak" || fail "GET peak"
curl -sf -o "$WORK/peak.txt" "$BASE/peak?debug=1" || fail "GET peak?debug=1"
head -n1 "$WORK/peak.txt" | grep -qE '^heap profile: [0-9]+: [0-9]+ \[' || fail "peak?debug=1 header"
curl -sf -o "$WORK/aged.txt" "$BASE/heap?min_age=3&debug=1" || fail "GET heap?min_age=3&debug=1"
head -n1 "$WORK/aged.txt" | grep -qE '^heap profile: ' || fail "min_age with debug=1"
# go tool pprof reads the text forms too
pprof_clean -top "$WORK/peak.txt" | grep -q fill_spike || fail "pprof: peak text"
pprof_clean -top "$WORK/aged.txt" | grep -q keep_early || fail "pprof: min_age text"

# MB of inuse_space at FUNCTION in a profile, via go tool pprof
mb_at() {
    pprof_clean -top -unit=MB -sample_index=inuse_space "$1" >"$WORK/top.txt"
    awk -v f="$2" '$NF == f {v = $4; sub(/MB$/, "", v); print v; found = 1} END {if (!found) print 0}' "$WORK/top.txt"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a >= b)}'; }
spike_peak=$(mb_at "$WORK/peak.pb.gz" fill_spike)
spike_now=$(mb_at "$WORK/heap.pb.gz" fill_spike)
ge "$spike_peak" 40 || { cat "$WORK/top.txt"; fail "peak shows $spike_peak MB at fill_spike, want >= 40"; }
ge 2 "$spike_now" || fail "the live heap still shows $spike_now MB at fill_spike"
pprof_clean -comments "$WORK/peak.pb.gz" | grep -qE '^peak: about [0-9]+ bytes in use' || fail "peak comment"

early=$(mb_at "$WORK/aged.pb.gz" keep_early)
late=$(mb_at "$WORK/aged.pb.gz" keep_late)
late_now=$(mb_at "$WORK/heap.pb.gz" keep_late)
ge "$early" 4 || fail "min_age=3: keep_early $early MB, want about 8"
ge 0.6 "$late" || fail "min_age=3: keep_late $late MB, want 0 (it is younger)"
ge "$late_now" 4 || fail "heap: keep_late $late_now MB, want about 8"

# the index lists peak; bad values are 400s with Go's error style
curl -sf "$BASE/" | grep -q "href='peak?debug=1'" || fail "index: peak"
for q in 'min_age=-1' 'min_age=abc' 'min_age=' 'min_age=1e3' 'min_age=99999999999'; do
    code=$(curl -s -o "$WORK/err.txt" -D "$WORK/hdr.txt" -w '%{http_code}' "$BASE/heap?$q")
    [ "$code" = 400 ] || fail "heap?$q: status $code"
    grep -qx 'invalid value for "min_age" - must be a non-negative number of seconds' "$WORK/err.txt" ||
        fail "heap?$q: body $(cat "$WORK/err.txt")"
    grep -qi '^X-Go-Pprof: 1' "$WORK/hdr.txt" || fail "heap?$q: no X-Go-Pprof"
done
code=$(curl -s -o "$WORK/err.txt" -w '%{http_code}' "$BASE/threads?min_age=1")
[ "$code" = 400 ] && grep -q 'only supported for the heap profile' "$WORK/err.txt" || fail "threads?min_age: $code"
curl -sf -o /dev/null "$BASE/heap?min_age=0.5" || fail "fractional min_age"
finish_app || fail "views exited with $?"
echo "peak: fill_spike $spike_peak MB (now $spike_now); min_age=3: keep_early $early MB, keep_late $late MB"
