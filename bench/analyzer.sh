#!/bin/bash
# cprof vs go tool pprof on one large profile: wall time and peak RSS of
# `cprof top` and `go tool pprof -top` on the same file, in the same run,
# and their ratios. The profile is synthetic (bench/genprofile.c): by default
# 1,000,000 samples with 18-48 frames over 20,000 functions, ~83 MB of raw
# profile.proto. Both reports must be identical, byte for byte.
#
#   bench/analyzer.sh [SAMPLES [FUNCTIONS]]     (make bench-analyzer)
# Needs /usr/bin/time (Debian package `time`) and go; pprof takes minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
samples=${1:-1000000}
functions=${2:-20000}
work=$(mktemp -d /tmp/cprof-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

make -C "$root" --no-print-directory build/cprof build/bench/genprofile >/dev/null
[ -x /usr/bin/time ] || { echo "analyzer.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

"$root/build/bench/genprofile" "$samples" "$functions" 1 >"$work/big.pb"
bytes=$(stat -c %s "$work/big.pb")
echo "profile: $samples samples, $functions functions, $((bytes / 1000000)) MB raw profile.proto"

# measure NAME CMD...: runs CMD (stdout to $work/NAME.out), sets SECS and KB.
measure() {
    local name=$1
    shift
    /usr/bin/time -v "$@" >"$work/$name.out" 2>"$work/$name.time" ||
        { tail -n 30 "$work/$name.time" >&2; echo "$name failed" >&2; exit 1; }
    SECS=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' \
        "$work/$name.time")
    KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/$name.time")
}

measure cprof "$root/build/cprof" top "$work/big.pb"
cprof_s=$SECS cprof_kb=$KB
measure pprof go tool pprof -top "$work/big.pb"
pprof_s=$SECS pprof_kb=$KB
cmp -s "$work/cprof.out" "$work/pprof.out" && same=identical || same=DIFFERENT

printf '%-22s %10s %14s\n' "" "wall (s)" "peak RSS (MB)"
printf '%-22s %10.2f %14d\n' "cprof top" "$cprof_s" $((cprof_kb / 1024))
printf '%-22s %10.2f %14d\n' "go tool pprof -top" "$pprof_s" $((pprof_kb / 1024))
awk -v a="$pprof_s" -v b="$cprof_s" -v c="$pprof_kb" -v d="$cprof_kb" \
    'BEGIN { printf "cprof is %.1fx faster and uses %.1fx less peak memory\n", a / b, c / d }'
echo "reports: $same"
[ "$same" = identical ]
