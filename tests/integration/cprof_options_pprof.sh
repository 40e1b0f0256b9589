# The go tool pprof options closed for issue 18 print what pprof prints,
# byte for byte, on Go's own profiles (the strings benchmarks) and on
# profiles libcprof served (tests/helpers/heapsites, two runs): -trim=false
# (with -nodecount), -relative_percentages, -normalize (with -base and
# -diff_base), -divide_by, -add_comment, -tagroot/-tagleaf (numeric labels
# scaled by -unit, several keys, a key no sample has, a filter naming the
# pseudo frames), -total_delay/-contentions, -symbolize's words,
# -compact_labels, -buildid (and a build ID as the first argument). Then the same settings in the interactive shell's
# grammar through cli_set (flags_set), checked by the shell test.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
go_profiles "$WORK/go"

# Two heap profiles served by libcprof (sites of 8, 4, 2 MiB, then 3, 6, 1).
CPROF_HEAP_RATE=65536
export CPROF_HEAP_RATE
for run in 1 2; do
    if [ $run = 1 ]; then set -- 8 4 2; else set -- 3 6 1; fi
    start_preloaded sites$run "$HELPERS/heapsites" "$@"
    wait_for_line sites$run ready
    curl -sf -o "$WORK/go/cheap$run.pb" "$BASE/heap" || fail "GET /heap"
    finish_app || fail "heapsites exited $?"
done
cd "$WORK/go"

for p in cpu.out cheap1.pb; do
    base=cpu2.out
    [ $p = cheap1.pb ] && base=cheap2.pb
    same_output -top -trim=false $p
    same_output -tree -trim=false -nodecount=4 $p
    same_output -tree -nodecount=4 -trim=true $p
    same_output -top -relative_percentages -focus=site_a\|Fields $p
    same_output -top -relative_percentages -ignore=runtime $p
    same_output -top -normalize -base=$base $p
    same_output -top -normalize -diff_base=$base $p
    same_output -top -divide_by=3 $p
    same_output -top -divide_by=0.25 -unit=ms $p
    # -raw on cheap1.pb: cprof fills the lines of libc frames the host named
    # from its symbol table (go tool pprof leaves them :0), so both get none.
    same_output -raw -divide_by=2 -symbolize=none $p
    same_output -comments -add_comment='checked by cprof' $p
    same_output -top -compact_labels -focus=site_a\|Fields $p
    same_output -top -symbolize=none $p
    same_output -top -symbolize=fastlocal:force $p
    same_output -top -buildid=0123abcdef $p
    same_output -top 0123abcdef $p
done
for p in mem.out cheap1.pb; do
    base=mem2.out
    [ $p = cheap1.pb ] && base=cheap2.pb
    same_output -top -tagroot=bytes $p
    same_output -top -tagleaf=bytes -unit=kb $p
    same_output -tree -tagroot=bytes -tagleaf=bytes -sample_index=alloc_space $p
    same_output -traces -tagleaf=bytes $p
    same_output -top -tagroot=bytes -focus='^[0-9.]+[kMG]?B$' $p
    same_output -top -tagroot=bytes,nosuchkey $p
    same_output -top -relative_percentages -tagfocus=64kb: $p
    same_output -top -mean -sample_index=alloc_space $p
    same_output -top -mean -inuse_space -cum $p
    same_output -tree -mean -alloc_space $p
    same_output -top -mean -alloc_space -diff_base=$base $p
done
# pprof's warning for a key no sample has, on stderr.
"$CPROF" -top -tagroot=nosuchkey mem.out 2>"$WORK/warn.err" >/dev/null
grep -qx 'TagRoot expression matched no samples' "$WORK/warn.err" || fail "no TagRoot warning"
# -total_delay and -contentions select those sample types (pprof's errors
# otherwise are both refusals).
"$CPROF" -top -total_delay mem.out >/dev/null 2>&1 && fail "-total_delay on a heap profile worked"
# Errors pprof gives.
one_line_error 1 "$CPROF" -top -divide_by=0 cpu.out | grep -q 'zero divisor specified' ||
    fail "-divide_by=0"
one_line_error 2 "$CPROF" -top -symbolize=remote cpu.out | grep -q 'remote is not supported' ||
    fail "-symbolize=remote"
echo "options: same as go tool pprof"
