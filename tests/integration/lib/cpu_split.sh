# Shared by the CPU accuracy tests (sourced after common.sh): profile
# build/tests/helpers/cpu_split and compare with the truth: each function's
# own CPU time (the helper measures it with its thread's CPU clock) and the
# process CPU time the kernel counts (CLOCK_PROCESS_CPUTIME_ID), both taken
# by the helper at the profile's start and end. Checks: go tool pprof reads
# the profile; total profiled CPU within 5 % of the kernel's figure; f, g,
# h shares within 3 percentage points.

# The helper prints "start ..." and "end ..." lines (f, g, h and process
# CPU in ns) when a profile's timers appear and vanish.
lines_of() { grep -c "^$1 " "$2" || true; }
# figures KIND N FILE -> "f g h process" in ms, from the Nth KIND line
figures() {
    grep "^$1 " "$3" | sed -n "${2}p" | sed 's/^[a-z]* //; s/[a-z]*=//g' |
        awk '{printf "%.3f %.3f %.3f %.3f\n", $1 / 1e6, $2 / 1e6, $3 / 1e6, $4 / 1e6}'
}
delta() { echo "$1 - $2" | bc -l; }

# cum_ms FILE FUNCTION: the function's cumulative ms from pprof -top output.
cum_ms() {
    awk -v fn="$2" '$NF == fn {v = $4; sub(/ms$/, "", v); print v + 0; found = 1}
                    END {if (!found) print 0}' "$1"
}

# compare LABEL PROF START_FIGURES END_FIGURES
compare() {
    local label=$1 prof=$2 top=$2.top total f g h
    local -a a b
    read -r -a a <<<"$3"
    read -r -a b <<<"$4"
    [ -n "${b[3]:-}" ] && [ -n "${a[3]:-}" ] || fail "$label: no start/end figures from the helper"
    pprof_clean -top -unit=ms -nodecount=1000 "$prof" >"$top"
    head -n 12 "$top"
    total=$(sed -n 's/.* of \([0-9.]*\)ms total.*/\1/p' "$top")
    [ -n "$total" ] || fail "no total in pprof -top output"
    f=$(cum_ms "$top" f)
    g=$(cum_ms "$top" g)
    h=$(cum_ms "$top" h)
    awk -v label="$label" -v total="$total" -v k="$(delta "${b[3]}" "${a[3]}")" \
        -v f="$f" -v g="$g" -v h="$h" -v tf="$(delta "${b[0]}" "${a[0]}")" \
        -v tg="$(delta "${b[1]}" "${a[1]}")" -v th="$(delta "${b[2]}" "${a[2]}")" '
        function abs(x) { return x < 0 ? -x : x }
        BEGIN {
            err = (total - k) / k * 100
            printf "%s: profiled %.0f ms, kernel %.0f ms (%+.2f %%)\n", label, total, k, err
            tt = tf + tg + th; pt = f + g + h; bad = 0
            split("f g h", names, " "); truth["f"] = tf; truth["g"] = tg; truth["h"] = th
            prof["f"] = f; prof["g"] = g; prof["h"] = h
            for (i = 1; i <= 3; i++) {
                n = names[i]; ts = truth[n] / tt * 100; ps = prof[n] / pt * 100
                printf "  %s: truth %.0f ms = %.2f %%, profile %.0f ms = %.2f %% (%+.2f pp)\n",
                       n, truth[n], ts, prof[n], ps, ps - ts
                if (abs(ps - ts) > 3) bad = 1
            }
            if (abs(err) > 5) bad = 1
            exit bad
        }' || fail "$label: the CPU profile disagrees with the truth"
}

# check_cpu_http SECONDS HZ: one profile over HTTP of the running helper
# (started as "split"), compared with the figures the helper took when the
# profile's timers appeared and vanished: the request around the profile
# (curl starting, the reply being encoded) is left out.
# wait_end_line N FILE: until FILE has N "end" lines (5 s at most): the
# helper prints them once the sampler's timers are gone.
wait_end_line() {
    for _ in $(seq 1 500); do
        [ "$(lines_of end "$2")" -ge "$1" ] && break
        sleep 0.01
    done
}

check_cpu_http() {
    local secs=$1 hz=$2 prof=$WORK/http_$2.pb.gz out=$WORK/split.out n
    n=$(($(lines_of end "$out") + 1))
    curl -sf -o "$prof" "$BASE/profile?seconds=$secs&hz=$hz" || fail "profile request failed"
    wait_end_line "$n" "$out"
    compare "HTTP, $hz Hz, $secs s" "$prof" "$(figures start "$n" "$out")" \
        "$(figures end "$n" "$out")"
}

# check_cpu_file SECONDS HZ: the helper profiles itself with
# cprof_cpu_start/cprof_cpu_stop and takes its figures right after the start
# and right before the stop.
check_cpu_file() {
    local secs=$1 hz=$2 prof=$WORK/file_$2.pb.gz out=$WORK/file_$2.out
    timeout 120 "$HELPERS/cpu_split" file "$prof" "$secs" "$hz" >"$out" ||
        fail "cpu_split file mode failed"
    compare "file, $hz Hz, $secs s" "$prof" "$(figures start 1 "$out")" "$(figures end 1 "$out")"
}
