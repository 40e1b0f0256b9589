# cprof watch symbolizes what it fetches, as every cprof command does: on a
# target run with CPROF_SYMBOLIZE=off (its profiles carry addresses,
# mappings and build IDs only) the slow heap leak under healthy churn is
# still named by function and file:line, with its min_age second opinion
# matched to the same series; the saved snapshots stay as fetched
# (addresses only).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/watch.sh"
SRC=$ROOT/tests/helpers/watch_targets.c
CPROF_SYMBOLIZE=off start_target off "$HELPERS/watch_targets" churn-leak
start_watch off --profiles heap --interval 1s --duration 30s
finish_watch off
line=$(line_of "$SRC" 'char *s = malloc(256);')
[ "$WATCH_RC" = 1 ] || { cat "$WORK/off.report" "$WORK/off.progress"; fail "exit $WATCH_RC, want 1"; }
grep -q '^Verdict: 1 leak\.$' "$WORK/off.report" || { cat "$WORK/off.report"; fail "not exactly one leak"; }
grep -qE "^  heap +remember_session \(watch_targets\.c:$line\) \+" "$WORK/off.report" ||
    { cat "$WORK/off.report"; fail "the verdict does not name remember_session at watch_targets.c:$line"; }
grep -qE '^    second opinion \(heap\?min_age=[0-9]+\): [0-9.]+[kMG]?B of it allocated more than' \
    "$WORK/off.report" || { cat "$WORK/off.report"; fail "no min_age second opinion"; }
# The program's frames (the leak's, down to main) are all named; below main
# libc's static __libc_start_call_main stays an address where libc has no
# debug file (no libc6-dbg), as go tool pprof shows it too.
sed -n '/^    where the memory is allocated:/,/^ *main /p' "$WORK/off.report" >"$WORK/own_frames"
grep -q ' main tests/helpers/watch_targets\.c:' "$WORK/own_frames" ||
    { cat "$WORK/off.report"; fail "the leak's stack does not reach main"; }
! grep -qE '0x[0-9a-f]{6,}' "$WORK/own_frames" ||
    { cat "$WORK/off.report"; fail "an address among the program's frames"; }
# the target really served addresses only: a saved snapshot, not symbolized
snap=$(ls "$WORK/off.snaps"/*.pb.gz | head -n1)
"$CPROF" -symbolize=none -top "$snap" 2>/dev/null | grep -qE ' \[watch_targets\]$' ||
    fail "the snapshot $snap has functions: the target symbolized"
stop_target off
echo "CPROF_SYMBOLIZE=off target: watch named remember_session (watch_targets.c:$line)"
