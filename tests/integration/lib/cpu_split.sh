# Shared by the CPU accuracy tests (sourced after common.sh): profile
# build/tests/helpers/cpu_split over HTTP and compare with the truth.
#
# check_cpu_split SECONDS HZ: one profile of SECONDS at HZ. Truth: each
# function's own CPU time (the helper measures it with the thread CPU
# clock) and the process CPU time from /proc/PID/stat over the request.
# Checks: go tool pprof reads the profile; total profiled CPU within 5 % of
# the kernel's figure; f, g, h shares within 3 percentage points.

proc_cpu_ms() { # utime + stime of APP_PID in ms
    awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); print ($12 + $13) * 1000 / hz}' \
        "/proc/$APP_PID/stat"
}

# The helper snaps as soon as it reads the line; the test collects the
# answers afterwards, so no polling delay widens the measured window.
snap_lines() { grep -c '^f=' "$WORK/split.out" || true; }
wait_snaps() { # COUNT: until the helper printed COUNT snapshots
    for _ in $(seq 1 500); do
        [ "$(snap_lines)" -ge "$1" ] && return 0
        sleep 0.01
    done
    fail "cpu_split did not answer snap"
}
snap_ms() { # N: the Nth snapshot as "f g h" in ms
    grep '^f=' "$WORK/split.out" | sed -n "${1}p" |
        sed 's/[a-z]*=//g' | awk '{printf "%.3f %.3f %.3f\n", $1 / 1e6, $2 / 1e6, $3 / 1e6}'
}

# cum_ms FILE FUNCTION: the function's cumulative ms from pprof -top output.
cum_ms() {
    awk -v fn="$2" '$NF == fn {v = $4; sub(/ms$/, "", v); print v + 0; found = 1}
                    END {if (!found) print 0}' "$1"
}

check_cpu_split() {
    local secs=$1 hz=$2 prof=$WORK/cpu_$2.pb.gz top=$WORK/top_$2.txt
    local t0 t1 k0 k1
    local n0
    n0=$(snap_lines)
    echo snap >&9
    k0=$(proc_cpu_ms)
    curl -sf -o "$prof" "$BASE/profile?seconds=$secs&hz=$hz" || fail "profile request failed"
    echo snap >&9
    k1=$(proc_cpu_ms)
    wait_snaps $((n0 + 2))
    read -r -a t0 <<<"$(snap_ms $((n0 + 1)))"
    read -r -a t1 <<<"$(snap_ms $((n0 + 2)))"
    pprof_clean -top -unit=ms -nodecount=1000 "$prof" >"$top"
    cat "$top" | head -n 12
    local total f g h
    total=$(sed -n 's/.* of \([0-9.]*\)ms total.*/\1/p' "$top")
    [ -n "$total" ] || fail "no total in pprof -top output"
    f=$(cum_ms "$top" f)
    g=$(cum_ms "$top" g)
    h=$(cum_ms "$top" h)
    awk -v secs="$secs" -v hz="$hz" -v total="$total" -v k="$(echo "$k1 - $k0" | bc -l)" \
        -v f="$f" -v g="$g" -v h="$h" \
        -v tf="$(echo "${t1[0]} - ${t0[0]}" | bc -l)" -v tg="$(echo "${t1[1]} - ${t0[1]}" | bc -l)" \
        -v th="$(echo "${t1[2]} - ${t0[2]}" | bc -l)" '
        function abs(x) { return x < 0 ? -x : x }
        BEGIN {
            err = (total - k) / k * 100
            printf "%d Hz, %d s: profiled %.0f ms, kernel %.0f ms (%+.2f %%)\n", hz, secs, total, k, err
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
        }' || fail "CPU profile at $hz Hz disagrees with the truth"
}
