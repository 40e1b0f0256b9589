#!/bin/bash
# Two libcprof builds against each other on bench/churn (2 threads of
# malloc/free churn), at the default rate and at rate 1, with a baseline
# without the preload, all in alternating rounds within the same run; prints
# each configuration's best CPU time and its ratio to the baseline.
# Usage: bench/ab.sh OLD_LIB NEW_LIB [ROUNDS] [STEPS_PER_THREAD]
# e.g. (the cost of the peak tracking, issue 7):
#   git archive e74f04d | tar -x -C /tmp/base && make -C /tmp/base lib
#   bench/ab.sh /tmp/base/build/libcprof.so build/libcprof.so 7 2000000
set -eu
cd "$(dirname "$0")/.."
old=$1 new=$2 rounds=${3:-7} steps=${4:-2000000}
churn=build/bench/churn
[ -x "$churn" ] || make -s "$churn"
source bench/lib.sh
declare -A best last
configs=(baseline old_default new_default old_rate_1 new_rate_1)
run_config() {
    case $1 in
    baseline) $churn 2 "$steps" ;;
    old_default) CPROF_ADDR=off LD_PRELOAD=$old $churn 2 "$steps" ;;
    new_default) CPROF_ADDR=off LD_PRELOAD=$new $churn 2 "$steps" ;;
    old_rate_1) CPROF_ADDR=off CPROF_HEAP_RATE=1 LD_PRELOAD=$old $churn 2 "$steps" ;;
    new_rate_1) CPROF_ADDR=off CPROF_HEAP_RATE=1 LD_PRELOAD=$new $churn 2 "$steps" ;;
    esac
}
bench_alternate "$rounds" "${configs[@]}"
bench_print_ratios 12 "${configs[@]}"
echo "(2 threads x $steps malloc+free each, best CPU time of $rounds alternating rounds)"
