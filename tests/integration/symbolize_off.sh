# CPROF_SYMBOLIZE=off: the host serves and writes profiles with addresses,
# mappings and build IDs only, and the analyzer symbolizes them.
#  - heap: two runs with the same seed (the same samples), one symbolized in
#    process, one not: cprof names the same stacks, functions and lines;
#  - CPU (CPROF_CPU_PROFILE, whole run): cprof top -lines and go tool pprof
#    -top -lines given the binary agree line for line on the program's code;
#  - a stripped binary: its .debug file is found by build ID under
#    -symbol_dir and by name on $CPROF_SYMBOL_PATH; without it, or with the
#    binary gone or replaced, one "no debug info" line says why; with
#    -debuginfod (only then) a debuginfod server provides it; the web UI
#    symbolizes the same way.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
SITES=$HELPERS/heapsites

# heap_profile NAME MODE BINARY: /heap of BINARY (seeded) with CPROF_SYMBOLIZE=MODE into $WORK/NAME.pb
heap_profile() {
    CPROF_SYMBOLIZE=$2 CPROF_SEED=7 CPROF_HEAP_RATE=4096 start_preloaded "$1" "$3" 4 1 8
    wait_for_line "$1" ready
    curl -sf -o "$WORK/$1.pb" "$BASE/heap" || fail "GET /heap ($1)"
    finish_app || fail "$1 exited $?"
}
# stacks FILE [CPROF OPTIONS]: the program's stacks with file:line — its own
# frames only, values summed per such stack — sorted. libc's frames are left
# out: the host names them from libc's symbol table (`_IO_puts`, what go tool
# pprof shows) and cprof fills only their lines, while an unsymbolized
# profile gets libc's DWARF names (`__GI__IO_puts`) and inline frames.
stacks() {
    local f=$1
    shift
    "$CPROF" collapsed -lines -sample_index=alloc_space "$@" "$f" 2>>"$WORK/cprof.err" |
        grep 'heapsites\.c' |
        awk '{ v = $NF; sub(/ [^ ]*$/, ""); n = split($0, fr, ";"); out = ""
               for (i = 1; i <= n; i++) if (fr[i] ~ /heapsites\.c/) out = out (out == "" ? "" : ";") fr[i]
               sum[out] += v }
             END { for (k in sum) printf "%s %.0f\n", k, sum[k] }' | sort
}

heap_profile on on "$SITES"
heap_profile off off "$SITES"
"$CPROF" raw -symbolize=none "$WORK/off.pb" 2>/dev/null | grep -q ' site_a' &&
    fail "the off profile carries function names"
stacks "$WORK/on.pb" >"$WORK/on.txt"
stacks "$WORK/off.pb" >"$WORK/off.txt"
grep -q 'site_a tests/helpers/heapsites.c:23' "$WORK/on.txt" || fail "no site_a in the symbolized run"
diff "$WORK/on.txt" "$WORK/off.txt" || fail "cprof names other stacks for the unsymbolized profile"
# go tool pprof, given the binary, agrees with cprof on the unsymbolized file
"$CPROF" top -lines -nodecount=1000 -nodefraction=0 -sample_index=alloc_space "$WORK/off.pb" \
    2>/dev/null | grep 'heapsites\.c' | awk '{$3 = ""; print}' >"$WORK/cprof_top.txt"
go tool pprof -top -lines -nodecount=1000 -nodefraction=0 -sample_index=alloc_space "$SITES" \
    "$WORK/off.pb" 2>/dev/null | grep 'heapsites\.c' | awk '{$3 = ""; print}' >"$WORK/pprof_top.txt"
[ -s "$WORK/cprof_top.txt" ] || fail "cprof top shows no heapsites line"
diff "$WORK/cprof_top.txt" "$WORK/pprof_top.txt" || fail "cprof and go tool pprof disagree (heap)"

# CPU, whole run, written at exit unsymbolized
(sleep 1.5) | env CPROF_ADDR=off CPROF_SYMBOLIZE=off CPROF_CPU_PROFILE="$WORK/cpu.pb.gz" \
    LD_PRELOAD="$LIB" "$HELPERS/cpu_split" >"$WORK/cpu.out" 2>"$WORK/cpu.err" || fail "cpu_split failed"
"$CPROF" raw -symbolize=none "$WORK/cpu.pb.gz" 2>/dev/null | grep -qE ' (f|g|h) ' &&
    fail "the off CPU profile carries function names"
# (sum% left out: it also counts the rows of libc, which pprof leaves unnamed)
"$CPROF" top -lines -nodecount=1000 -nodefraction=0 "$WORK/cpu.pb.gz" 2>/dev/null |
    grep 'cpu_split\.c' | awk '{$3 = ""; print}' >"$WORK/cprof_cpu.txt"
PPROF_BINARY_PATH=$HELPERS go tool pprof -top -lines -nodecount=1000 -nodefraction=0 \
    "$WORK/cpu.pb.gz" 2>/dev/null | grep 'cpu_split\.c' | awk '{$3 = ""; print}' >"$WORK/pprof_cpu.txt"
for fn in f g h mixed pure; do
    grep -qE " $fn tests/helpers/cpu_split.c:[0-9]+\$" "$WORK/cprof_cpu.txt" ||
        fail "$fn missing from cprof top -lines: $(cat "$WORK/cprof_cpu.txt")"
done
diff "$WORK/cprof_cpu.txt" "$WORK/pprof_cpu.txt" || fail "cprof and go tool pprof disagree (CPU)"

# A stripped binary, its debug info apart
mkdir -p "$WORK/bin" "$WORK/syms" "$WORK/flat"
cp "$SITES" "$WORK/bin/heapsites"
objcopy --only-keep-debug "$WORK/bin/heapsites" "$WORK/heapsites.debug"
strip --strip-all "$WORK/bin/heapsites"
id=$(readelf -n "$WORK/bin/heapsites" | sed -n 's/.*Build ID: *//p')
[ ${#id} = 40 ] || fail "no build id in the stripped binary"
mkdir -p "$WORK/syms/.build-id/${id:0:2}"
cp "$WORK/heapsites.debug" "$WORK/syms/.build-id/${id:0:2}/${id:2}.debug"
cp "$WORK/heapsites.debug" "$WORK/flat/heapsites.debug"
heap_profile stripped off "$WORK/bin/heapsites"

: >"$WORK/cprof.err"
stacks "$WORK/stripped.pb" >"$WORK/stripped_nodebug.txt"
grep -qx "cprof: no debug info for heapsites (build id $id): function names from $WORK/bin/heapsites, no lines" \
    "$WORK/cprof.err" || fail "no reason given without debug info: $(cat "$WORK/cprof.err")"
grep -q site_a "$WORK/stripped_nodebug.txt" && fail "site_a named without its debug info"
stacks "$WORK/stripped.pb" -symbol_dir="$WORK/syms" >"$WORK/stripped_dir.txt"
diff "$WORK/on.txt" "$WORK/stripped_dir.txt" || fail "-symbol_dir: the .debug file was not used"
CPROF_SYMBOL_PATH=/nonexistent:$WORK/flat stacks "$WORK/stripped.pb" >"$WORK/stripped_path.txt"
diff "$WORK/on.txt" "$WORK/stripped_path.txt" || fail "\$CPROF_SYMBOL_PATH: the .debug file was not used"

# the web UI loads through the same pipeline: it symbolizes too
start_cprof_web web "$CPROF" -symbol_dir="$WORK/syms" "$WORK/stripped.pb"
curl -sf "$WEB_URL/ui/" >"$WORK/web_top.html" || fail "web UI top"
grep -q 'site_a' "$WORK/web_top.html" || fail "the web UI did not symbolize"
kill "$WEB_PID"

# debuginfod: only with -debuginfod (the variable alone asks nothing), then
# the stripped binary's debug info comes from the server
mkdir -p "$WORK/served"
cp "$WORK/heapsites.debug" "$WORK/served/$id.debug"
start_debuginfod "$WORK/requests" "$WORK/served"
port=$DEBUGINFOD_PORT
export DEBUGINFOD_URLS=http://127.0.0.1:$port DEBUGINFOD_CACHE_PATH=$WORK/debuginfod-cache
stacks "$WORK/stripped.pb" >"$WORK/stripped_nodebuginfod.txt"
grep -q site_a "$WORK/stripped_nodebuginfod.txt" && fail "debuginfod used without -debuginfod"
[ "$(grep -vcx /ready "$WORK/requests")" = 0 ] || fail "debuginfod asked without -debuginfod"
stacks "$WORK/stripped.pb" -debuginfod >"$WORK/stripped_debuginfod.txt"
grep -qx "/buildid/$id/debuginfo" "$WORK/requests" || fail "-debuginfod did not ask the server"
diff "$WORK/on.txt" "$WORK/stripped_debuginfod.txt" || fail "-debuginfod: the served debug info was not used"
unset DEBUGINFOD_URLS DEBUGINFOD_CACHE_PATH

: >"$WORK/cprof.err"
cp "$HELPERS/cpu_split" "$WORK/bin/heapsites" # another build at the mapped path
stacks "$WORK/stripped.pb" >/dev/null
grep -qx "cprof: no debug info for heapsites (build id $id): $WORK/bin/heapsites has another build id; use -symbol_dir" \
    "$WORK/cprof.err" || fail "a replaced binary is not named: $(cat "$WORK/cprof.err")"
: >"$WORK/cprof.err"
rm "$WORK/bin/heapsites"
stacks "$WORK/stripped.pb" >/dev/null
grep -qx "cprof: no debug info for heapsites (build id $id): not found (the mapped file, /usr/lib/debug/.build-id, -symbol_dir, \$CPROF_SYMBOL_PATH)" \
    "$WORK/cprof.err" || fail "a missing binary is not named: $(cat "$WORK/cprof.err")"
# the .debug file alone (no binary for the layout) still serves
stacks "$WORK/stripped.pb" -symbol_dir="$WORK/syms" >"$WORK/stripped_debug_only.txt"
diff "$WORK/on.txt" "$WORK/stripped_debug_only.txt" || fail "a .debug file alone did not serve"
# -symbolize=none leaves the addresses
"$CPROF" top -symbolize=none -symbol_dir="$WORK/syms" "$WORK/stripped.pb" 2>&1 | grep -q site_a &&
    fail "-symbolize=none symbolized"
echo ok
