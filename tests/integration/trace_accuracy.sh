# The trace's flame chart agrees with the CPU: on cpu_split (thread "mixed"
# 70 % f / 30 % g, thread "pure" all h), the time covered by each function's
# CPU slices in an 8 s trace, as a share of f+g+h, within 5 percentage
# points of the helper's own measurement over exactly the trace's window
# (it prints its figures when the sampler's timers appear and vanish). The
# trace and /profile share the one sampler, so they cannot cover the same
# window; the CPU profile of the 8 s that follow is held to the same
# yardstick (its share within 5 points of the truth of its own window), so
# both agree with the CPU the threads really used. On a loaded machine the
# split of two windows differs by more than the profilers' error, hence
# truth per window rather than trace against profile directly.
# Then with CPROF_SYMBOLIZE=off: frames are addresses with their module.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cpu_split.sh"
CHECK="python3 $ROOT/tests/integration/lib/trace_check.py"
start_preloaded split "$HELPERS/cpu_split"
wait_for_line split ready
curl -sf -o /dev/null "$BASE/trace?seconds=1" || fail "warm-up trace failed"

out=$WORK/split.out
n=$(($(lines_of end "$out") + 1))
curl -sf -o "$WORK/t.json" "$BASE/trace?seconds=8" || fail "trace request failed"
wait_end_line "$n" "$out"
$CHECK schema "$WORK/t.json" || fail "schema"
read -r -a a <<<"$(figures start "$n" "$out")"
read -r -a b <<<"$(figures end "$n" "$out")"
[ -n "${b[2]:-}" ] || fail "no figures from the helper"
n2=$(($(lines_of end "$out") + 1))
curl -sf -o "$WORK/cpu.pb.gz" "$BASE/profile?seconds=8" || fail "profile request failed"
wait_end_line "$n2" "$out"
read -r -a c <<<"$(figures start "$n2" "$out")"
read -r -a e <<<"$(figures end "$n2" "$out")"
[ -n "${e[2]:-}" ] || fail "no figures from the helper for the profile"
pprof_clean -top -unit=ms -nodecount=1000 "$WORK/cpu.pb.gz" >"$WORK/cpu.top"
$CHECK shares "$WORK/t.json" f g h >"$WORK/shares.txt"
awk -v tf="$(delta "${b[0]}" "${a[0]}")" -v tg="$(delta "${b[1]}" "${a[1]}")" \
    -v th="$(delta "${b[2]}" "${a[2]}")" -v pf="$(cum_ms "$WORK/cpu.top" f)" \
    -v pg="$(cum_ms "$WORK/cpu.top" g)" -v ph="$(cum_ms "$WORK/cpu.top" h)" \
    -v uf="$(delta "${e[0]}" "${c[0]}")" -v ug="$(delta "${e[1]}" "${c[1]}")" \
    -v uh="$(delta "${e[2]}" "${c[2]}")" '
    function abs(x) { return x < 0 ? -x : x }
    { ms[$1] = $2; share[$1] = $3 }
    END {
        truth["f"] = tf; truth["g"] = tg; truth["h"] = th; tt = tf + tg + th
        prof["f"] = pf; prof["g"] = pg; prof["h"] = ph; pt = pf + pg + ph
        t2["f"] = uf; t2["g"] = ug; t2["h"] = uh; tt2 = uf + ug + uh
        bad = 0
        for (i = 1; i <= 3; i++) {
            n = substr("fgh", i, 1)
            ts = truth[n] / tt * 100; ps = prof[n] / pt * 100; ts2 = t2[n] / tt2 * 100
            printf "  %s: trace %.0f ms = %.2f %%, truth %.2f %% (%+.2f pp); next window: CPU profile %.2f %%, truth %.2f %% (%+.2f pp)\n",
                   n, ms[n], share[n], ts, share[n] - ts, ps, ts2, ps - ts2
            if (abs(share[n] - ts) > 5 || abs(ps - ts2) > 5) bad = 1
        }
        exit bad
    }' "$WORK/shares.txt" || fail "the trace's CPU slices disagree"
finish_app || fail "cpu_split exited with an error"

# Symbolization off: addresses and the module's name.
PIDS=()
exec 9>&-
rm -f "$WORK/split.in"
CPROF_SYMBOLIZE=off start_preloaded split "$HELPERS/cpu_split"
wait_for_line split ready
curl -sf -o "$WORK/off.json" "$BASE/trace?seconds=1" || fail "trace (symbolize off)"
$CHECK schema "$WORK/off.json" || fail "schema (symbolize off)"
grep -q '"symbolized":false' "$WORK/off.json" || fail "otherData.symbolized"
$CHECK frames "$WORK/off.json" >"$WORK/frames.txt"
grep -qE '^0x[0-9a-f]+ \(cpu_split\)$' "$WORK/frames.txt" || { head "$WORK/frames.txt"; fail "no cpu_split address frames"; }
! grep -qvE '^0x[0-9a-f]+ \(.+\)$' "$WORK/frames.txt" || fail "a symbolized frame with symbolization off"
finish_app || fail "cpu_split (symbolize off) exited with an error"
echo "ok"
