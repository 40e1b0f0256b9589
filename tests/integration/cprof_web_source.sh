# The web UI's Source (weblist) and Disassemble views in Debian's headless
# Chromium (tests/web/source.spec.mjs, playwright-core): a C program built
# here (lib/disasm_prog.c) profiled by libprofiler, served by the ASan cprof
# with the binary named first; source lines with weights, a line expanding
# to its instructions, the views reached from the view menu and from the
# refine menu of a Top row, the page's ignore filter honoured; and a
# collapsed-stacks profile whose function names are HTML, shown as text.
# Screenshots: build/test-artifacts/web/.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
ARTIFACTS=$ROOT/build/test-artifacts/web
need_web_deps playwright-core
PROFILER=$(gcc -print-file-name=libprofiler.so.0)
[ -f "$PROFILER" ] || fail "libprofiler is not installed (scripts/install-deps.sh)"

cd "$WORK"
cp "$ROOT/tests/integration/lib/disasm_prog.c" prog.c
cc -std=gnu11 -O2 -g -fno-omit-frame-pointer -o prog prog.c || fail "disasm_prog does not build"
CPUPROFILE=$WORK/cpu.prof LD_PRELOAD=$PROFILER ./prog >/dev/null 2>cpu.err || { cat cpu.err >&2; fail "prog under libprofiler"; }
# Function names an attacker chose (collapsed stacks: names as written).
printf '%s\n' 'main;<img src=x onerror="window.__xss=1">;leaf&amp;"q" 7' 'main;<b>bold</b> 3' >evil.txt

WEB_CPROF=$ROOT/build/asan/cprof
[ -x "$WEB_CPROF" ] || fail "$WEB_CPROF missing: run make asan"
export ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=exitcode=99:print_stacktrace=1
start_cprof_web src "$WEB_CPROF" ./prog cpu.prof
SRC_URL=$WEB_URL
SRC_PID=$WEB_PID
start_cprof_web evil "$WEB_CPROF" evil.txt
EVIL_URL=$WEB_URL
EVIL_PID=$WEB_PID

# curl: the routes, a function that matches nothing
for path in "/ui/source?f=spin_loop" "/ui/disasm?f=spin_loop" /ui/disasm; do
    code=$(curl -s -o body -w '%{http_code}' "$SRC_URL$path")
    [ "$code" = 200 ] || { head -c 600 body >&2; fail "$path answered $code"; }
done
code=$(curl -s -o body -w '%{http_code}' "$SRC_URL/ui/disasm?f=no_such_function")
[ "$code" = 404 ] && grep -q 'no matches found for regexp: no_such_function' body || fail "disasm: no 404 for no match"

SRC_URL=$SRC_URL EVIL_URL=$EVIL_URL ARTIFACTS=$ARTIFACTS \
    timeout 300 node "$ROOT/tests/web/source.spec.mjs" || fail "browser test failed"

for pid in "$SRC_PID" "$EVIL_PID"; do
    kill -INT "$pid"
    rc=0
    timeout 20 tail --pid="$pid" -f /dev/null || fail "cprof -http did not stop on SIGINT"
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] || { cat "$WORK/src.err" "$WORK/evil.err" >&2; fail "cprof -http exited $rc (ASan?)"; }
done
echo "cprof web source ok"
