#!/bin/bash
# Heap sampler overhead: bench/churn (2 threads of malloc/free churn) run
# without the preload, with it at the default rate, and at rate 1, in
# alternating rounds within the same run; prints each configuration's best
# CPU time and its ratio to the baseline. Targets (issue 2): <= 1.05x at the
# default rate, <= 5x at rate 1.
# Usage: bench/run.sh [ROUNDS] [STEPS_PER_THREAD]   (make bench: 7 rounds, 5M steps)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-7}
steps=${2:-5000000}
lib=$PWD/build/libcprof.so
churn=build/bench/churn
source bench/lib.sh
declare -A best last
configs=(baseline rate_0 default rate_1)
run_config() {
    case $1 in
    baseline) $churn 2 "$steps" ;;
    rate_0) CPROF_ADDR=off CPROF_HEAP_RATE=0 LD_PRELOAD=$lib $churn 2 "$steps" ;;
    default) CPROF_ADDR=off LD_PRELOAD=$lib $churn 2 "$steps" ;;
    rate_1) CPROF_ADDR=off CPROF_HEAP_RATE=1 LD_PRELOAD=$lib $churn 2 "$steps" ;;
    esac
}
bench_alternate "$rounds" "${configs[@]}"
bench_print_ratios 10 "${configs[@]}"
echo "(2 threads x $steps malloc+free each, best CPU time of $rounds alternating rounds)"
