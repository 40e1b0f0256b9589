# Delta profiles (NAME?seconds=N, Go's net/http/pprof contract) on a program
# with known sites: during each window tests/helpers/deltasites keeps 16 MiB
# more live at grow_site, allocates and frees 16 MiB at churn_site and starts
# four threads at spawned_thread, while static_site (8 MiB) and two
# static_thread threads exist from before. heap, allocs and goroutine deltas
# read with go tool pprof show the growth within ±10 % (sampled at
# CPROF_HEAP_RATE=4096) and nothing of the static sites; then the 400s, the
# "<name>-delta" file name, a client hanging up mid-window (the collection
# ends at once and the next request is served) and `cprof top -seconds`.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
check="python3 $(dirname "$0")/lib/check_sites.py"
MiB=1048576
export CPROF_HEAP_RATE=4096 CPROF_SEED=7
CPROF_CPU_MAX_SECONDS=60 start_preloaded delta "$HELPERS/deltasites"
wait_for_line delta ready

# window_open [absent]: wait until an HTTP worker sleeps inside a delta
# window (its stack in the thread dump), or with "absent" until none does.
window_open() {
    for _ in $(seq 1 100); do
        curl -sf --max-time 10 -o "$WORK/dump.txt" "$BASE/threads?debug=1" || fail "thread dump"
        if grep -q profile_delta_write "$WORK/dump.txt"; then
            [ "${1:-}" != absent ] && return 0
        else
            [ "${1:-}" = absent ] && return 0
        fi
        sleep 0.1
    done
    fail "no delta window ${1:-open} within 10 s"
}

# grow_in_window N CMD...: run CMD (a client of one delta) in the background,
# make the N-th growth once its window is open (after p0), wait for CMD.
grow_in_window() {
    local n=$1
    shift
    "$@" &
    local pid=$!
    window_open
    echo grow >&9
    wait_for_line delta "grown $n" 30
    wait "$pid" || fail "$* failed"
}

fetch_delta() { # NAME: GET NAME?seconds=2 into $WORK/NAME.pb, headers in .hdr
    curl -s --max-time 60 -D "$WORK/$1.hdr" -o "$WORK/$1.pb" -w '%{http_code}' \
        "$BASE/$1?seconds=2" >"$WORK/$1.code"
}

check_headers() { # NAME
    [ "$(cat "$WORK/$1.code")" = 200 ] || { cat "$WORK/$1.pb"; fail "$1?seconds=2: $(cat "$WORK/$1.code")"; }
    tr -d '\r' <"$WORK/$1.hdr" | grep -qix "Content-Disposition: attachment; filename=\"$1-delta\"" ||
        { cat "$WORK/$1.hdr"; fail "$1: no Content-Disposition $1-delta"; }
}

# --- heap: every value a delta (as Go) ---
grow_in_window 1 fetch_delta heap
check_headers heap
pprof_clean -top -unit=B -nodecount=100 -sample_index=inuse_space "$WORK/heap.pb" >"$WORK/inuse.txt"
pprof_clean -top -unit=B -nodecount=100 -sample_index=alloc_space "$WORK/heap.pb" >"$WORK/alloc.txt"
cat "$WORK/inuse.txt"
grep -qE '^Duration: 2(\.[0-9]+)?s' "$WORK/inuse.txt" || fail "heap delta: duration not the window"
$check "$WORK/inuse.txt" grow_site=$((16 * MiB)) churn_site=0 static_site=0 || fail "heap delta in-use"
$check "$WORK/alloc.txt" grow_site=$((16 * MiB)) churn_site=$((16 * MiB)) static_site=0 ||
    fail "heap delta alloc"
! grep -q static_site "$WORK/inuse.txt" || fail "static_site in the heap delta"

# --- allocs: the same model, alloc_space by default ---
grow_in_window 2 fetch_delta allocs
check_headers allocs
pprof_clean -top -unit=B -nodecount=100 "$WORK/allocs.pb" >"$WORK/allocs.txt"
grep -qx 'Type: alloc_space' "$WORK/allocs.txt" || fail "allocs delta: default type"
$check "$WORK/allocs.txt" grow_site=$((16 * MiB)) churn_site=$((16 * MiB)) static_site=0 ||
    fail "allocs delta"

# --- goroutine: the change in threads per stack ---
grow_in_window 3 fetch_delta goroutine
check_headers goroutine
pprof_clean -top -nodecount=100 "$WORK/goroutine.pb" >"$WORK/goroutine.txt"
cat "$WORK/goroutine.txt"
grep -qE '^ +4 +[0-9.]+% +[0-9.]+% +4 +[0-9.]+% +spawned_thread$' "$WORK/goroutine.txt" ||
    fail "goroutine delta: spawned_thread is not +4"
! grep -q static_thread "$WORK/goroutine.txt" || fail "static_thread in the goroutine delta"

# --- threads: the same delta under its own name (HTTP workers that ended
# during the window show as negative counts) ---
curl -s --max-time 60 -o "$WORK/threads.pb" "$BASE/threads?seconds=1" &
pid=$!
window_open
wait "$pid" || fail "threads?seconds=1"
pprof_clean -top "$WORK/threads.pb" >/dev/null

# --- bad requests: Go's messages, in Go's order ---
expect400() { # MESSAGE URL
    local code
    code=$(curl -s --max-time 10 -D "$WORK/err.hdr" -o "$WORK/err.txt" -w '%{http_code}' "$2")
    [ "$code" = 400 ] && grep -qxF "$1" "$WORK/err.txt" && tr -d '\r' <"$WORK/err.hdr" | grep -qix 'X-Go-Pprof: 1' ||
        fail "$2: $code $(cat "$WORK/err.txt")"
}
expect400 'invalid value for "seconds" - must be a positive integer' "$BASE/heap?seconds=x"
expect400 'invalid value for "seconds" - must be a positive integer' "$BASE/goroutine?seconds=0"
expect400 'invalid value for "seconds" - must be a positive integer' "$BASE/allocs?seconds=-2"
expect400 '"seconds" parameter is not supported for this profile type' "$BASE/peak?seconds=2"
expect400 "profile duration exceeds the server's limit of 60 seconds" "$BASE/heap?seconds=61"
expect400 'seconds and debug params are incompatible' "$BASE/heap?seconds=2&debug=1"
expect400 'seconds and debug params are incompatible' "$BASE/goroutine?debug=2&seconds=2"
# cmdline, like Go's, takes no parameters and ignores seconds.
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/cmdline?seconds=2")" = 200 ] || fail "cmdline?seconds"

# --- a client that hangs up mid-window ends the collection ---
t0=$(date +%s)
curl -s --max-time 1 -o /dev/null "$BASE/heap?seconds=60" && fail "60 s delta answered within 1 s"
window_open absent
[ $(($(date +%s) - t0)) -lt 20 ] || fail "the abandoned window was not ended early"
curl -sf --max-time 10 -o "$WORK/after.pb" "$BASE/heap" || fail "no reply after a hang-up"
pprof_clean -top "$WORK/after.pb" >/dev/null

# --- cprof top -seconds sends seconds and reads the delta ---
cprof_top() { "$CPROF" top -seconds 2 -sample_index=alloc_space "$BASE/allocs" >"$WORK/top.txt" 2>"$WORK/top.err"; }
grow_in_window 4 cprof_top
grep -q ' grow_site$' "$WORK/top.txt" || { cat "$WORK/top.txt" "$WORK/top.err"; fail "cprof top -seconds"; }
! grep -q static_site "$WORK/top.txt" || fail "static_site in cprof top -seconds"

finish_app || fail "deltasites exited with $? (3 = its memory changed)"
grep -qx verified "$WORK/delta.out" || fail "deltasites did not verify its memory"
