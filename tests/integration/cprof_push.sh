# cprof push: a profile fetched from a URL (a 1 s CPU profile of cpu_split)
# and one from a saved file (its heap) sent to a receiver that checks each
# request against Pyroscope's documented ingest API (method, path, query
# parameters, name with labels, time range, content type, token, tenant);
# go tool pprof decodes both bodies, the CPU one names f. Bad labels and a
# receiver answering 503 are one-line errors and exit status 2 and 1.
source "$(dirname "$0")/lib/common.sh"
CPROF=$ROOT/build/cprof
start_receiver "$WORK/recv" --auth s3cret --tenant team-a
TO=http://127.0.0.1:$RECV_PORT

start_preloaded split "$HELPERS/cpu_split"
curl -sf -o "$WORK/heap.pb.gz" "$BASE/heap" || fail "GET heap"
"$CPROF" push -to "$TO" -name cpu_split -labels env=test,host=ci-1 -push_token s3cret -tenant team-a \
    "$BASE/profile?seconds=1" "$WORK/heap.pb.gz" 2>"$WORK/push.err" || { cat "$WORK/push.err" "$WORK/recv/errors" 2>/dev/null; fail "cprof push failed"; }
[ ! -e "$WORK/recv/errors" ] || { cat "$WORK/recv/errors"; fail "the receiver saw requests that break the API"; }
[ "$(grep -c '^Pushed ' "$WORK/push.err")" = 2 ] || { cat "$WORK/push.err"; fail "want two Pushed lines"; }
grep -q '^name=cpu_split{env=test,host=ci-1}&from=[0-9]*&until=[0-9]*&format=pprof$' "$WORK/recv/1.query" ||
    { cat "$WORK/recv/1.query"; fail "query of the CPU profile"; }
# The CPU profile covers its second: until = from + 1.
from=$(sed -n 's/.*&from=\([0-9]*\)&.*/\1/p' "$WORK/recv/1.query")
until=$(sed -n 's/.*&until=\([0-9]*\)&.*/\1/p' "$WORK/recv/1.query")
[ $((until - from)) = 1 ] || fail "CPU profile range $from..$until"
pprof_clean -top "$WORK/recv/1.pb.gz" >"$WORK/top1.txt"
grep -q 'Type: cpu' "$WORK/top1.txt" && grep -qE ' (f|g|h)$' "$WORK/top1.txt" || { cat "$WORK/top1.txt"; fail "pushed CPU profile"; }
pprof_clean -raw "$WORK/recv/2.pb.gz" | grep -q 'inuse_space/bytes' || fail "pushed heap profile"
cmp -s "$WORK/heap.pb.gz" "$WORK/recv/2.pb.gz" || fail "the saved file was not sent as it is"

# Refused before sending: a bad label; a server error is reported.
if "$CPROF" push -to "$TO" -labels 'env={x}' "$WORK/heap.pb.gz" 2>"$WORK/bad.err"; then fail "bad label accepted"; fi
grep -q '^cprof: push .*bad label "env={x}"' "$WORK/bad.err" || { cat "$WORK/bad.err"; fail "bad label message"; }
[ ! -e "$WORK/recv/3.pb.gz" ] || fail "a refused push reached the receiver"
rc=0
"$CPROF" push "$WORK/heap.pb.gz" 2>"$WORK/noto.err" || rc=$?
[ $rc = 2 ] && grep -q 'no -to URL' "$WORK/noto.err" || fail "no -to: status $rc"
rc=0
"$CPROF" push -to "$TO" "$WORK/heap.pb.gz" 2>"$WORK/401.err" || rc=$?
[ $rc = 1 ] && grep -q '^cprof: push .*server response: 400' "$WORK/401.err" || { cat "$WORK/401.err"; fail "missing token: status $rc"; }
finish_app || fail "cpu_split exited with $?"
