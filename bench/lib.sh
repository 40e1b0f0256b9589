# Shared by the bench scripts (sourced, not run). Same-run comparisons on a
# shared, noisy machine: every configuration runs once per round, rounds
# alternate, and each configuration keeps its best (lowest) CPU time, so a
# burst of load from elsewhere penalises one round, not one configuration.

# bench_alternate ROUNDS CONFIG...: call run_config CONFIG (defined by the
# caller; its stdout's second field is the CPU time in seconds) for every
# config, ROUNDS times. Fills the associative arrays best (lowest CPU time)
# and last (the last round's), which the caller declares with declare -A.
bench_alternate() {
    local rounds=$1 c cpu
    shift
    for _ in $(seq 1 "$rounds"); do
        for c in "$@"; do
            cpu=$(run_config "$c" | awk '{print $2}')
            last[$c]=$cpu
            if [ -z "${best[$c]:-}" ] || awk -v a="$cpu" -v b="${best[$c]}" 'BEGIN {exit !(a < b)}'; then
                best[$c]=$cpu
            fi
        done
    done
}

# bench_print_ratios WIDTH CONFIG...: one line per config, best CPU time and
# its ratio to the config named baseline.
bench_print_ratios() {
    local width=$1 c
    shift
    printf "%-${width}s %10s %8s\n" config "cpu (s)" ratio
    for c in "$@"; do
        awk -v n="$c" -v t="${best[$c]}" -v b="${best[baseline]}" -v w="$width" \
            'BEGIN {printf "%-*s %10.3f %7.3fx\n", w, n, t, t / b}'
    done
}
