# ?pid=all on a still pre-fork tree (prefork idle: 3 workers that each keep
# 64 blocks of 1..64 KiB, 2129920 bytes, and then only sleep; every
# allocation sampled): the merged heap's share of each pid (go tool pprof
# -tagfocus=pid=N, and cprof's) equals that worker's own ?pid=N heap to the
# byte, and the merged total is the sum; every profile with pid=all is read
# by go tool pprof and carries each process's pid and program labels; the
# CPU profile of the 4 processes takes one window, not four, and lasts one
# window; debug=1 is a one-line 400; a stopped worker is skipped and named
# in a comment, not waited for; a second merge meanwhile is a 503; the
# index and /procs link pid=all; with CPROF_SYMBOLIZE=off the merged
# profile still symbolizes in the tools.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/procs.sh"
CPROF=$ROOT/build/cprof
FIXED=2129920

# inuse FILE ARGS...: the inuse_space in bytes of FILE's samples that ARGS
# keep (go tool pprof -top's "accounting for N", every node shown).
inuse() {
    local f=$1
    shift
    pprof_clean -top -nodefraction=0 -sample_index=inuse_space -unit=B "$@" "$f" |
        sed -n 's/^Showing nodes accounting for \([0-9]*\)B,.*/\1/p'
}

start_tree tree
curl -sf -o "$WORK/all.heap" "$BASE/heap?pid=all" || { curl -s "$BASE/heap?pid=all"; fail "heap?pid=all"; }
pprof_clean -raw "$WORK/all.heap" >"$WORK/all.raw"
grep -q "^Comment: cprof pid=all: 4 of 4 processes merged" "$WORK/all.raw" || { head "$WORK/all.raw"; fail "no merge comment"; }
sum=0
for w in $WORKERS; do
    curl -sf -o "$WORK/$w.heap" "$BASE/heap?pid=$w" || fail "heap?pid=$w"
    own=$(inuse "$WORK/$w.heap" -focus=worker_fixed)
    [ "$own" = "$FIXED" ] || fail "worker $w's own heap holds $own bytes in worker_fixed, not $FIXED"
    share=$(inuse "$WORK/all.heap" -focus=worker_fixed -tagfocus="pid=$w")
    [ "$share" = "$own" ] || fail "pid=all: -tagfocus=pid=$w gives $share bytes, its own heap $own"
    mine=$("$CPROF" -top -nodefraction=0 -sample_index=inuse_space -unit=B -focus=worker_fixed \
        -tagfocus="pid=$w" "$WORK/all.heap" 2>/dev/null |
        sed -n 's/^Showing nodes accounting for \([0-9]*\)B,.*/\1/p')
    [ "$mine" = "$own" ] || fail "cprof -tagfocus=pid=$w gives '$mine' bytes, not $own"
    sum=$((sum + own))
done
total=$(inuse "$WORK/all.heap" -focus=worker_fixed)
[ "$total" = "$sum" ] || fail "pid=all holds $total bytes in worker_fixed, the workers together $sum"

# Every profile merges and go tool pprof reads it; the snapshot ones carry
# every process's labels.
for prof in heap allocs goroutine threads threadcreate mutex block; do
    curl -sf -D "$WORK/$prof.h" -o "$WORK/all.$prof" "$BASE/$prof?pid=all" || fail "$prof?pid=all"
    grep -qi "^Content-Disposition: attachment; filename=\"$prof\"" "$WORK/$prof.h" || fail "$prof: headers"
    pprof_clean -raw "$WORK/all.$prof" >"$WORK/all.$prof.raw"
    case $prof in heap | allocs | goroutine | threads)
        for p in $APP_PID $WORKERS; do
            grep -q "pid:\[$p\]" "$WORK/all.$prof.raw" || fail "$prof?pid=all has no sample of pid $p"
        done
        grep -q 'program:\[prefork\]' "$WORK/all.$prof.raw" || fail "$prof?pid=all: no program label"
        ;;
    esac
done
pprof_clean -top -tagfocus="pid=$(echo "$WORKERS" | head -n1)" "$WORK/all.threads" | grep -q worker_fixed ||
    fail "threads?pid=all: a worker's share does not show it in worker_fixed"

# CPU: the 4 processes over one 2 s window, concurrently.
t0=$(date +%s%N)
curl -sf -o "$WORK/all.cpu" "$BASE/profile?seconds=2&pid=all" || fail "profile?pid=all"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "profile?seconds=2&pid=all took $ms ms"
[ "$ms" -lt 5000 ] || fail "profile?seconds=2&pid=all took $ms ms: not one window"
pprof_clean -raw "$WORK/all.cpu" >"$WORK/all.cpu.raw"
grep -q '^PeriodType: cpu nanoseconds' "$WORK/all.cpu.raw" || fail "not a CPU profile"
grep -Eq '^Duration: 2\.[0-9]' "$WORK/all.cpu.raw" || { grep Duration "$WORK/all.cpu.raw"; fail "the merged duration is not the window"; }

# Text formats: a one-line 400.
curl -s -D "$WORK/err.h" -o "$WORK/err.body" "$BASE/heap?pid=all&debug=1"
grep -q '^HTTP/1.1 400 ' "$WORK/err.h" && grep -qi '^X-Go-Pprof: 1' "$WORK/err.h" ||
    fail "heap?pid=all&debug=1 is not a Go-style 400"
[ "$(wc -l <"$WORK/err.body")" = 1 ] && grep -q 'pid=all merges protobuf profiles only' "$WORK/err.body" ||
    fail "heap?pid=all&debug=1: $(cat "$WORK/err.body")"

# The index page and /procs link it.
curl -sf "$BASE/" | grep -q "<a href='heap?pid=all'>" || fail "index: no pid=all link"
curl -sf "$BASE/procs" | grep -q "?pid=all" || fail "/procs does not mention pid=all"

# One merge at a time: a second while a CPU merge runs is a 503.
curl -s -o /dev/null "$BASE/profile?seconds=2&pid=all" &
bg=$!
sleep 0.5
code=$(curl -s -o "$WORK/busy.body" -w '%{http_code}' "$BASE/heap?pid=all")
wait "$bg" || true
[ "$code" = 503 ] && grep -q 'another pid=all request' "$WORK/busy.body" ||
    fail "a second pid=all meanwhile answered $code: $(cat "$WORK/busy.body")"

# A stopped worker is skipped after the grace, and named; the rest merge.
stopped=$(echo "$WORKERS" | tail -n1)
kill -STOP "$stopped"
t0=$(date +%s)
curl -sf -o "$WORK/skip.heap" --max-time 30 "$BASE/heap?pid=all" || { kill -CONT "$stopped"; fail "heap?pid=all with a stopped worker"; }
kill -CONT "$stopped"
echo "with a stopped worker: $(($(date +%s) - t0)) s"
pprof_clean -raw "$WORK/skip.heap" >"$WORK/skip.raw"
grep -q "^Comment: cprof pid=all: 3 of 4 processes merged" "$WORK/skip.raw" &&
    grep -q "^Comment: cprof pid=all: skipped pid $stopped (prefork): no complete reply in time" "$WORK/skip.raw" ||
    { grep Comment "$WORK/skip.raw"; fail "the stopped worker is not named as skipped"; }
! grep -q "pid:\[$stopped\]" "$WORK/skip.raw" || fail "the stopped worker's samples are in"
finish_app || fail "prefork failed"

# Unsymbolized (CPROF_SYMBOLIZE=off): the merged profile symbolizes in the
# tools from the binaries the mappings name.
CPROF_SYMBOLIZE=off start_tree raw
curl -sf -o "$WORK/raw.heap" "$BASE/heap?pid=all" || fail "heap?pid=all unsymbolized"
w=$(echo "$WORKERS" | head -n1)
[ "$(inuse "$WORK/raw.heap" -focus=worker_fixed -tagfocus="pid=$w")" = "$FIXED" ] ||
    fail "unsymbolized pid=all: go tool pprof does not find worker_fixed's $FIXED bytes in $w"
"$CPROF" -top -sample_index=inuse_space -tagfocus="pid=$w" "$WORK/raw.heap" 2>/dev/null | grep -q worker_fixed ||
    fail "unsymbolized pid=all: cprof does not name worker_fixed"
finish_app || fail "prefork (unsymbolized) failed"
