#!/bin/bash
# The heap hooks of two builds side by side: bench/churn without the
# preload, then preloaded with OTHER_LIB (e.g. main's build) and with this
# tree's libcprof.so, at the default rate and at rate 1, in alternating
# rounds; the best CPU time of each and its ratio to the baseline. For a
# change that must leave the unsampled fast paths as they were.
# Usage: bench/churn_vs.sh OTHER_LIB [ROUNDS] [STEPS_PER_THREAD]
set -eu
cd "$(dirname "$0")/.."
other=$(realpath "$1")
rounds=${2:-7}
steps=${3:-2000000}
lib=$PWD/build/libcprof.so
churn=build/bench/churn
source bench/lib.sh
declare -A best last
configs=(baseline other_default default other_rate_1 rate_1)
pre() { env CPROF_ADDR=off CPROF_SOCKET=off "$@"; }
run_config() {
    case $1 in
    baseline) $churn 2 "$steps" ;;
    other_default) pre LD_PRELOAD="$other" $churn 2 "$steps" ;;
    default) pre LD_PRELOAD="$lib" $churn 2 "$steps" ;;
    other_rate_1) pre CPROF_HEAP_RATE=1 LD_PRELOAD="$other" $churn 2 "$steps" ;;
    rate_1) pre CPROF_HEAP_RATE=1 LD_PRELOAD="$lib" $churn 2 "$steps" ;;
    esac
}
bench_alternate "$rounds" "${configs[@]}"
bench_print_ratios 14 "${configs[@]}"
echo "(2 threads x $steps malloc+free each, best CPU time of $rounds alternating rounds; other = $other)"
