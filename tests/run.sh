#!/bin/bash
# Run every test: cmocka unit tests, the same under ASan+UBSan, then the
# integration scripts (tests/integration/*.sh, each one test: exit 0 = pass).
# Ends with the plain line "N passed, N failed"; exits non-zero on failure.
# TEST_FILTER=regex runs only matching tests. Every test runs under
# tests/integration/lib/reap_leftovers.py: a test that leaves a process
# behind fails ("left N processes behind: ...", the last line of its log),
# and those processes are ended.
set -u
cd "$(dirname "$0")/.."
export CPROF_ROOT=$PWD
export CPROF_LIB=$PWD/build/libcprof.so
passed=0
failed=0
failed_names=()
filter=${TEST_FILTER:-.}
logdir=build/test-logs
mkdir -p "$logdir"
reaper=tests/integration/lib/reap_leftovers.py

# contained REPORT CMD...: run CMD under the reaper; its status in $rc and,
# when it left processes behind, the reaper's line (also in REPORT) in
# $leftovers.
contained() {
    local report=$1
    shift
    rm -f "$report"
    # stdin is never the tester's terminal: `cprof SOURCE` would open its shell.
    python3 "$reaper" "$report" "$@" </dev/null
    rc=$?
    leftovers=$(cat "$report" 2>/dev/null || true)
}

run_unit() { # binary label
    local bin=$1 label=$2 log p f
    log="$logdir/$(echo "$label" | tr '/ ' '__').log"
    contained "$log.leftovers" timeout 300 "$bin" >"$log" 2>&1
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
    if [ -n "$leftovers" ]; then f=$((f + 1)); fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" != 0 ]; then
        failed_names+=("$label")
        echo "FAIL $label ($p passed, $f failed; log: $log)"
        tail -n 30 "$log" | sed 's/^/    /'
    else
        echo "ok   $label ($p tests)"
    fi
}

for bin in build/tests/test_*; do
    [ -x "$bin" ] || continue
    [[ $bin =~ $filter ]] || continue
    run_unit "$bin" "unit/$(basename "$bin")"
done
for bin in build/asan/tests/test_*; do
    [ -x "$bin" ] || continue
    [[ $bin =~ $filter ]] || continue
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        run_unit "$bin" "asan/$(basename "$bin")"
done

for script in tests/integration/*.sh; do
    [ -f "$script" ] || continue
    [[ $script =~ $filter ]] || continue
    name=$(basename "$script" .sh)
    log="$logdir/integration_$name.log"
    start=$(date +%s)
    contained "$log.leftovers" timeout 900 bash "$script" >"$log" 2>&1
    secs=$(($(date +%s) - start))
    if [ "$rc" = 0 ] && [ -z "$leftovers" ]; then
        passed=$((passed + 1))
        echo "ok   integration/$name (${secs}s)"
    else
        failed=$((failed + 1))
        failed_names+=("integration/$name")
        echo "FAIL integration/$name (exit $rc, ${secs}s; log: $log)"
        tail -n 40 "$log" | sed 's/^/    /'
    fi
done

if [ "$failed" != 0 ]; then
    echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
