# cprof watch finds three kinds of leak, each at the right site, with no
# other suspect: a thread per 250 ms parked forever (with its creator), a
# slow heap leak of 256-byte blocks (~300 KB/s) under ~300 MB/s of healthy
# churn, and a leak on an error path taken by one request in 50. All three
# programs and watches run at once (1 s snapshots for 50 s, default sampling
# rate; each is found well within that, and the time is printed);
# exit status 1 each.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/watch.sh"
SRC=$ROOT/tests/helpers/watch_targets.c
for mode in thread-leak churn-leak rare-leak; do
    start_target "$mode" "$HELPERS/watch_targets" "$mode"
done
for mode in thread-leak churn-leak rare-leak; do
    start_watch "$mode" --interval 1s --duration 50s
done

check_leak() { # NAME KIND FUNCTION SOURCE-TEXT
    local name=$1 kind=$2 fn=$3 line
    line=$(line_of "$SRC" "$4")
    finish_watch "$name"
    local rc=$WATCH_RC
    [ "$rc" = 1 ] || { cat "$WORK/$name.report" "$WORK/$name.progress"; fail "$name: exit $rc, want 1"; }
    grep -q '^Verdict: 1 leak\.$' "$WORK/$name.report" ||
        { cat "$WORK/$name.report"; fail "$name: not exactly one leak"; }
    grep -qE "^  $kind +$fn \(watch_targets\.c:$line\) \+" "$WORK/$name.report" ||
        { cat "$WORK/$name.report"; fail "$name: verdict does not name $fn at watch_targets.c:$line"; }
    grep -qE "^LEAK 1: $kind \+[0-9.]+( threads|[kMG]?B)/min +\(" "$WORK/$name.report" ||
        { cat "$WORK/$name.report"; fail "$name: no rate line"; }
    local secs
    secs=$(detect_seconds "$name")
    [ -n "$secs" ] || fail "$name: the progress line never showed a suspect"
    echo "$name: found $fn (watch_targets.c:$line) after ${secs}s of watching"
}

check_leak thread-leak threads park_forever 'pause(); /* a worker waiting'
grep -qE "^  threads +park_forever .*, created by spawn_worker \(watch_targets\.c:$(line_of "$SRC" 'if (pthread_create(&t, &attr, park_forever')\)$" \
    "$WORK/thread-leak.report" || { cat "$WORK/thread-leak.report"; fail "thread-leak: creator"; }
check_leak churn-leak 'heap' remember_session 'char *s = malloc(256);'
check_leak rare-leak 'heap' handle_rare_error 'malloc(8192); /* leaked below */'
# heap suspects carry the min_age second opinion, with old bytes
for name in churn-leak rare-leak; do
    grep -qE '^    second opinion \(heap\?min_age=[0-9]+\): [0-9.]+[kMG]?B of it allocated more than' \
        "$WORK/$name.report" || { cat "$WORK/$name.report"; fail "$name: no min_age second opinion"; }
done
# the churn is never a suspect
! grep -q churn_alloc "$WORK/churn-leak.report" || fail "churn_alloc reported"
for mode in thread-leak churn-leak rare-leak; do stop_target "$mode"; done
