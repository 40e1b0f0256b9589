# Labels (cprof_label_set): tests/helpers/labelsites runs the same code on
# three threads, one labelled request=checkout, one request=search, one
# unlabelled, plus an idle thread labelled role=idle,worker=7. Then:
#   - CPU and heap: `go tool pprof -tagfocus=request=checkout` keeps exactly
#     the samples labelled checkout (its -raw sum is the sum of those
#     samples in the unfiltered profile, and every kept sample has the
#     label), -tagignore drops exactly them, the unlabelled thread's
#     samples of the same functions stay apart; cprof's top, tags,
#     -tagshow and -tagignore print what go tool pprof prints;
#   - mutex and block carry both request labels;
#   - threads: the proto carries the labels, debug=1 prints Go's
#     "# labels:" line, debug=2 a "labels {...}" in the thread's header.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"

CPROF_MUTEX_RATE=1 start_preloaded sites "$HELPERS/labelsites"
wait_for_line sites running
curl -sf -o "$WORK/cpu.pb" "$BASE/profile?seconds=3&hz=250" || fail "GET /profile"
for p in heap mutex block threads; do
    curl -sf -o "$WORK/$p.pb" "$BASE/$p" || fail "GET /$p"
done
curl -sf -o "$WORK/threads1.txt" "$BASE/threads?debug=1" || fail "GET threads?debug=1"
curl -sf -o "$WORK/threads2.txt" "$BASE/threads?debug=2" || fail "GET threads?debug=2"
finish_app || fail "labelsites exited with $?"

# raw_sum FILE COLUMN [pprof options]: the sum of value COLUMN (1-based) of
# the samples `go tool pprof -raw` lists, and how many of them carry
# request:[checkout], as "SUM_ALL SUM_CHECKOUT N_ALL N_CHECKOUT".
raw_sum() {
    local f=$1 col=$2
    shift 2
    pprof_clean -raw "$@" "$f" >"$WORK/raw.txt"
    awk -v col="$col" '
        /^Samples:/ { in_s = 1; getline; next }
        /^Locations/ { in_s = 0 }
        !in_s { next }
        /^ *[0-9]+ .*:/ { flush(); split($0, v, " "); val = v[col] + 0; cur = 1; labelled = 0; next }
        /request:\[checkout\]/ { labelled = 1 }
        function flush() { if (cur) { all += val; n++; if (labelled) { ch += val; nch++ } } cur = 0 }
        END { flush(); printf "%.0f %.0f %d %d\n", all, ch, n, nch }' "$WORK/raw.txt"
}

# check_exact FILE COLUMN SAMPLE_INDEX FUNCTION: the tag filters keep and
# drop exactly the labelled samples; cprof agrees with go tool pprof.
check_exact() {
    local f=$1 col=$2 si=$3 fn=$4 all ch n nch fall fch fn_ fnch iall ich _i _j
    read -r all ch n nch < <(raw_sum "$f" "$col")
    [ "$nch" -gt 0 ] && [ "$ch" -gt 0 ] || fail "$f: no sample labelled request=checkout"
    [ "$ch" -lt "$all" ] || fail "$f: every sample labelled checkout"
    read -r fall fch fn_ fnch < <(raw_sum "$f" "$col" -tagfocus=request=checkout)
    [ "$fall" = "$ch" ] && [ "$fch" = "$ch" ] && [ "$fn_" = "$fnch" ] ||
        fail "$f: -tagfocus=request=checkout kept $fall ($fn_ samples, $fnch labelled), want $ch ($nch)"
    read -r iall ich _i _j < <(raw_sum "$f" "$col" -tagignore=request=checkout)
    [ "$iall" = $((all - ch)) ] && [ "$ich" = 0 ] || fail "$f: -tagignore kept $iall, want $((all - ch))"
    echo "$f: $nch of $n samples labelled checkout, $ch of $all"
    # cprof's top under the filter has go tool pprof's rows, and the labelled
    # thread's work is there.
    pprof_clean -top -sample_index="$si" -tagfocus=request=checkout "$f" >"$WORK/pprof.top"
    "$CPROF" top -sample_index="$si" -tagfocus=request=checkout "$f" >"$WORK/cprof.top" 2>"$WORK/cprof.err" ||
        { cat "$WORK/cprof.err" >&2; fail "cprof top -tagfocus $f"; }
    diff <(table_rows "$WORK/pprof.top") <(table_rows "$WORK/cprof.top") >&2 ||
        fail "cprof top -tagfocus=request=checkout differs from go tool pprof on $f"
    table_rows "$WORK/pprof.top" | awk -v fn="$fn" '$NF == fn { found = 1 } END { exit !found }' ||
        fail "$f: $fn not in the checkout samples"
    # The unlabelled thread ran the same function: its samples stay apart.
    pprof_clean -top -sample_index="$si" -tagignore='request=checkout|search' "$f" >"$WORK/plain.top"
    table_rows "$WORK/plain.top" | awk -v fn="$fn" '$NF == fn { found = 1 } END { exit !found }' ||
        fail "$f: the unlabelled thread's $fn is missing"
    same_output -tags "$f"
    same_output -tags -tagshow=request "$f"
    same_output -top -sample_index="$si" -tagignore=request=search "$f"
}

check_exact "$WORK/cpu.pb" 2 cpu burn
check_exact "$WORK/heap.pb" 2 alloc_space churn
go tool pprof -tags "$WORK/cpu.pb" 2>/dev/null | grep -q ': search$' || fail "cpu: no search label"

for p in mutex block; do
    pprof_clean -tags "$WORK/$p.pb" >"$WORK/$p.tags"
    grep -q ': checkout$' "$WORK/$p.tags" && grep -q ': search$' "$WORK/$p.tags" ||
        { cat "$WORK/$p.tags" >&2; fail "$p: no request labels"; }
    same_output -tags "$WORK/$p.pb"
done

pprof_clean -tags "$WORK/threads.pb" >"$WORK/threads.tags"
for v in checkout search idle; do
    grep -q ": $v\$" "$WORK/threads.tags" || { cat "$WORK/threads.tags" >&2; fail "threads: no label $v"; }
done
grep -qx '# labels: {"request":"checkout"}' "$WORK/threads1.txt" || fail "debug=1: no checkout labels line"
grep -qx '# labels: {"role":"idle", "worker":"7"}' "$WORK/threads1.txt" || fail "debug=1: no idle labels line"
grep -qx '# labels: {"main":"yes"}' "$WORK/threads1.txt" || fail "debug=1: no main thread labels line"
grep -q '^thread [0-9]* "labelsites" \[.*, labels {"request":"search"}\(, no stack[^]]*\)\?\]:$' "$WORK/threads2.txt" ||
    fail "debug=2: no labels in a thread header"
# go tool pprof reads the labelled debug=1 text.
pprof_clean -top "$WORK/threads1.txt" >/dev/null
echo "ok"
