#!/bin/bash
# The mutex profile's cost per recorded contention (BENCHMARKS.md, "Mutex
# and block profiles"): bench/mutex_lock -H (every lock call contended, one
# contention event each) plain, and preloaded at CPROF_MUTEX_RATE=0, the
# default (10) and 1, in alternating rounds, best of each: the waiter's CPU
# ns a contended lock+unlock. Then one counted run per rate with the HTTP
# listener on: the mutex profile's own count of recorded events (debug=1,
# unscaled by the sampling period). Cost per recorded event = (ns a call at
# the rate - ns at RATE=0) x calls / recorded events, and the same against
# no preload. Also the uncontended path (2 threads x PAIRS, each its own
# mutex): plain (glibc's defaults), preloaded at the default rate and at
# CPROF_MUTEX_RATE=0.
# Usage: bench/mutex_contention.sh [ROUNDS] [CONTENDED_CALLS] [PAIRS]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
calls=${2:-200000}
pairs=${3:-50000000}
make -s -C "$root" all >/dev/null
bin=$root/build/bench/mutex_lock
lib=$root/build/libcprof.so
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pre() { env CPROF_ADDR=off CPROF_SOCKET=off LD_PRELOAD="$lib" "$@" 2>/dev/null; }
ns() { cut -d' ' -f2; }
best() { sort -n | head -n1; }
declare -A h u
for _ in $(seq 1 "$rounds"); do
    h[plain]+="$("$bin" -H -n "$calls" | ns) "
    h[0]+="$(CPROF_MUTEX_RATE=0 pre "$bin" -H -n "$calls" | ns) "
    h[10]+="$(pre "$bin" -H -n "$calls" | ns) "
    h[1]+="$(CPROF_MUTEX_RATE=1 pre "$bin" -H -n "$calls" | ns) "
    u[plain]+="$("$bin" -n "$pairs" | ns) "
    u[10]+="$(pre "$bin" -n "$pairs" | ns) "
    u[0]+="$(CPROF_MUTEX_RATE=0 pre "$bin" -n "$pairs" | ns) "
done
b() { tr ' ' '\n' | grep . | best; }

# recorded RATE: contention events the mutex profile recorded in one
# preloaded handoff run at that rate (the debug=1 records' counts: raw, as
# Go's; the reader scales them by the sampling period).
recorded() {
    local rate=$1 port="" pid
    mkfifo "$work/in.$rate"
    env CPROF_MUTEX_RATE="$rate" CPROF_ADDR=127.0.0.1:0 CPROF_SOCKET=off LD_PRELOAD="$lib" \
        "$bin" -H -w -n "$calls" <"$work/in.$rate" >"$work/out.$rate" 2>"$work/err.$rate" &
    pid=$!
    exec 8>"$work/in.$rate"
    for _ in $(seq 1 600); do
        grep -q '^handoff' "$work/out.$rate" 2>/dev/null && break
        sleep 0.1
    done
    port=$(sed -n 's|^cprof: pid [0-9]* serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/err.$rate")
    curl -sf "http://127.0.0.1:$port/debug/pprof/mutex?debug=1" >"$work/mutex.$rate" || true
    exec 8>&-
    wait "$pid" || true
    awk '/^[0-9]+ [0-9]+ @/ {n += $2} END {printf "%d\n", n}' "$work/mutex.$rate"
}
rec1=$(recorded 1)
rec10=$(recorded 10)

echo "# $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d); best of $rounds alternating rounds"
echo "# contended: $calls lock+unlock calls, each one contention event (waiter's CPU ns a call)"
hp=$(echo "${h[plain]}" | b)
h0=$(echo "${h[0]}" | b)
printf '%-30s %10s %10s %12s %14s\n' case "ns a call" recorded "ns/recorded" "ns/rec vs plain"
awk -v c="plain (no preload)" -v t="$hp" 'BEGIN { printf "%-30s %10.1f %10s %12s %14s\n", c, t, "-", "-", "-" }'
awk -v c="preload, CPROF_MUTEX_RATE=0" -v t="$h0" -v p="$hp" \
    'BEGIN { printf "%-30s %10.1f %10d %12s %14s\n", c, t, 0, "-", sprintf("(+%.1f a call)", t - p) }'
for r in 10 1; do
    t=$(echo "${h[$r]}" | b)
    n=$([ "$r" = 1 ] && echo "$rec1" || echo "$rec10")
    awk -v c="preload, rate $r" -v t="$t" -v z="$h0" -v p="$hp" -v n="$n" -v k="$calls" 'BEGIN {
        if (n > 0) printf "%-30s %10.1f %10d %12.0f %14.0f\n", c, t, n, (t - z) * k / n, (t - p) * k / n
        else printf "%-30s %10.1f %10d %12s %14s\n", c, t, n, "?", "?" }'
done
echo "# uncontended: 2 threads x $pairs pairs, each its own mutex (CPU ns a pair)"
up=$(echo "${u[plain]}" | b)
printf '%-30s %10s %8s\n' case "ns a pair" ratio
for c in plain 10 0; do
    name=$([ "$c" = plain ] && echo "plain (glibc defaults)" || echo "preload, CPROF_MUTEX_RATE=$c")
    t=$(echo "${u[$c]}" | b)
    awk -v c="$name" -v t="$t" -v p="$up" 'BEGIN { printf "%-30s %10.2f %7.3fx\n", c, t, t / p }'
done
