# The TCP endpoint serves the whole process tree: a pre-fork master (3
# workers) lists itself and its workers at /debug/pprof/procs (HTML with
# links, debug=1 text) and on the index page; ?pid=N on a profile or
# /cmdline answers from that worker over its Unix socket (go tool pprof
# reads it as it is, the worker's own allocation site in it); a pid outside
# the tree is a 404 and a malformed one a 400, each one line with
# X-Go-Pprof: 1; a client that hangs up on a forwarded CPU profile stops
# the worker's profile too (the next one is not "already in use"); the
# token still guards the TCP side.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/procs.sh"

CPROF_HEAP_RATE=1024 start_preloaded prefork "$HELPERS/prefork"
wait_for_line prefork ready 60
workers=$(sed -n 's/^worker \([0-9]*\)$/\1/p' "$WORK/prefork.out")
w1=$(echo "$workers" | head -n1)
for w in $workers; do
    wait_socket "$w" || true
done

# The tree.
curl -sf "$BASE/procs?debug=1" >"$WORK/procs.txt" || fail "procs?debug=1"
cat "$WORK/procs.txt"
[ "$(head -n1 "$WORK/procs.txt" | cut -d' ' -f1,2,3,4)" = "$APP_PID $$ 0 prefork" ] ||
    fail "procs: first line is not the master"
for w in $workers; do
    grep -q "^$w $APP_PID 1 prefork [0-9]*$" "$WORK/procs.txt" || fail "procs: worker $w missing"
done
[ "$(wc -l <"$WORK/procs.txt")" = 4 ] || fail "procs: expected 4 processes"
curl -sf "$BASE/procs" | grep -q "<a href='heap?debug=1&amp;pid=$w1'>heap</a>" || fail "procs page: no heap link for $w1"
curl -sf "$BASE/" | grep -q "Processes: 4 " || fail "index: no process tree"
curl -sf "$BASE/" | grep -q "<a href='cmdline?pid=$w1'>" || fail "index: no link to $w1"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/procs?debug=x")
[ "$code" = 400 ] || fail "procs?debug=x answered $code"

# ?pid=N: the worker answers.
curl -sf "$BASE/cmdline?pid=$w1" | tr '\0' ' ' | grep -q prefork || fail "cmdline?pid"
pprof_clean -top -sample_index=inuse_space "$BASE/heap?pid=$w1" >"$WORK/wheap.top"
grep -q worker_churn "$WORK/wheap.top" || { cat "$WORK/wheap.top"; fail "the worker's heap lacks worker_churn"; }
curl -sf "$BASE/threads?debug=1&pid=$w1" | grep -q worker_churn || fail "threads?debug=1&pid"
# The master's own heap has no worker_churn: the pid really selects.
pprof_clean -top -sample_index=alloc_space "$BASE/heap" >"$WORK/mheap.top"
! grep -q worker_churn "$WORK/mheap.top" || fail "the master's heap has the workers' site"
curl -sf -o "$WORK/wcpu.pb.gz" -D "$WORK/wcpu.h" "$BASE/profile?seconds=1&pid=$w1" || fail "profile?pid"
grep -qi '^Content-Disposition: attachment; filename="profile"' "$WORK/wcpu.h" || fail "forwarded headers"
pprof_clean -raw "$WORK/wcpu.pb.gz" | grep -q '^PeriodType: cpu nanoseconds' || fail "not a CPU profile"

# Errors: one line, X-Go-Pprof: 1.
check_error() { # QUERY STATUS TEXT
    curl -s -D "$WORK/err.h" -o "$WORK/err.body" "$BASE/$1"
    grep -q "^HTTP/1.1 $2 " "$WORK/err.h" || { cat "$WORK/err.h"; fail "$1: not $2"; }
    grep -qi '^X-Go-Pprof: 1' "$WORK/err.h" || fail "$1: no X-Go-Pprof"
    [ "$(wc -l <"$WORK/err.body")" = 1 ] && grep -q "$3" "$WORK/err.body" || { cat "$WORK/err.body"; fail "$1: body"; }
}
check_error "heap?pid=1" 404 'no profiled process 1 under this one'
check_error "heap?pid=$PPID" 404 "no profiled process $PPID under this one"
check_error "heap?pid=abc" 400 'invalid value for "pid"'
check_error "cmdline?pid=-1" 400 'invalid value for "pid"'
check_error "heap?pid=$w1&debug=x" 400 'invalid value for "debug"'

# A client that hangs up on a forwarded 20 s profile: the worker's profile
# ends with it, so the next one starts at once.
curl -s -o /dev/null --max-time 1 "$BASE/profile?seconds=20&pid=$w1" || true
ok=""
for _ in $(seq 1 20); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/profile?seconds=1&pid=$w1")
    [ "$code" = 200 ] && { ok=1; break; }
    sleep 0.1
done
[ -n "$ok" ] || fail "the worker's CPU profile stayed busy after the client hung up ($code)"
finish_app || fail "prefork failed"

# The token guards ?pid on the TCP side too.
CPROF_TOKEN=sekrit start_preloaded guarded "$HELPERS/prefork"
wait_for_line guarded ready 60
w=$(sed -n 's/^worker \([0-9]*\)$/\1/p' "$WORK/guarded.out" | head -n1)
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/heap?pid=$w")
[ "$code" = 401 ] || fail "?pid without the token answered $code"
sleep 0.5
curl -sf -H 'Authorization: Bearer sekrit' "$BASE/cmdline?pid=$w" | tr '\0' ' ' | grep -q prefork ||
    fail "?pid with the token"
finish_app || fail "guarded prefork failed"
