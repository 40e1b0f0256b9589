# Malformed input never crashes cprof: truncated or corrupt gzip, bad and
# truncated varints, out-of-range string indexes and ids, huge lengths,
# wrong wire types, non-profile files. Each gives exactly one "cprof: ..."
# line on stderr, nothing on stdout and exit status 1. Then all of them and
# 300 random mutations of a real profile run through a cprof built with ASan
# and UBSan: each run must either work (status 0) or fail cleanly (status 1).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"

# A real profile to damage: a libcprof heap profile.
CPROF_HEAP_RATE=4096 start_preloaded sites "$HELPERS/heapsites" 4 1 8
wait_for_line sites ready
curl -sf -o "$WORK/heap.pb.gz" "$BASE/heap" || fail "GET /heap"
finish_app || fail "heapsites exited with $?"

python3 "$ROOT/tests/integration/lib/cprof_badfiles.py" "$WORK/heap.pb.gz" "$WORK/bad" ||
    fail "could not generate bad files"
"$CPROF" top "$WORK/bad/good_crafted.pb" | grep -q ' main$' || fail "crafted control profile"

for f in "$WORK"/bad/*; do
    [ -f "$f" ] || continue
    case $f in *good_crafted.pb) continue ;; esac
    echo "$(basename "$f"): $(one_line_error 1 "$CPROF" top "$f")"
done
# Specific messages say what is wrong.
expect() { # FILE PATTERN
    one_line_error 1 "$CPROF" top "$WORK/bad/$1" | grep -qE "$2" ||
        fail "$1: message does not match '$2': $(cat "$WORK/err.msg")"
}
expect truncated.pb.gz 'unexpected end of gzip data'
expect corrupt.pb.gz 'decompressing profile'
expect bad_varint.pb 'varint'
expect string_index.pb 'string index 99 out of range'
expect location_id.pb 'unknown location 7'
expect function_id.pb 'unknown function 9'
expect mapping_id.pb 'unknown mapping 4'
expect huge_length.pb 'length past end'
expect wire_type.pb 'wire type'
expect value_count.pb '2 values for 1 sample types'
expect text.txt 'unrecognized profile format: text'
expect empty.pb 'empty profile'
expect no_string_table.pb 'no string table'
one_line_error 1 "$CPROF" top "$WORK/no/such/file" | grep -q 'No such file' || fail "missing file"
one_line_error 1 "$CPROF" top "$WORK/bad" >/dev/null
one_line_error 1 "$CPROF" top /bin/true >/dev/null
one_line_error 2 "$CPROF" top --no-such-option "$WORK/heap.pb.gz" >/dev/null
one_line_error 1 "$CPROF" top -sample_index=nope "$WORK/heap.pb.gz" | grep -q 'must be one of' ||
    fail "bad sample index message"
one_line_error 1 "$CPROF" top -focus='(' "$WORK/heap.pb.gz" | grep -q 'parsing focus regexp' ||
    fail "bad regexp message"

# Fuzzing under the sanitizers.
asan=$ROOT/build/asan/cprof # built by make asan
[ -x "$asan" ] || fail "$asan missing: run make asan"
export ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=exitcode=99:print_stacktrace=1
# Crafted files one by one (top and traces), then the mutants in batches:
# cprof reports and skips each source it cannot read, so one run checks
# many files (and merges the ones that parse).
for f in "$WORK"/bad/*; do
    [ -f "$f" ] || continue
    asan_run "$f" top "$f"
    asan_run "$f" traces "$f"
done
batch=()
for f in "$WORK"/bad/fuzz/*; do
    batch+=("$f")
    if [ "${#batch[@]}" = 25 ]; then
        asan_run "fuzz batch ending ${f##*/}" top "${batch[@]}"
        asan_run "fuzz batch ending ${f##*/}" traces -lines "${batch[@]}"
        batch=()
    fi
done
[ "${#batch[@]}" = 0 ] || asan_run "last fuzz batch" top "${batch[@]}"
"$asan" top -lines "$WORK/heap.pb.gz" >/dev/null || fail "ASan cprof on the good profile"
