#!/bin/bash
# cprof vs go tool pprof on one large profile: wall time and peak RSS of
# `cprof top` and `go tool pprof -top` on the same file, in the same run,
# and their ratios; then the time the web UI (`cprof -http`) takes from its
# start to its first page (/ui/, the top table) fully received. The profile
# is synthetic (bench/genprofile.c). SHAPE "unmerged" (the default): SAMPLES
# (1,000,000) samples with 18-48 frames over FUNCTIONS (20,000) functions,
# ~83 MB of raw profile.proto, nearly every stack distinct. SHAPE "service":
# stacks that merge like a real service's (shared prefixes, a few hundred
# hot functions, a long tail, stacks repeating with varying leaves).
# Both reports must be identical, byte for byte. The targets of issue 18
# (>= 10x faster, <= 1/4 of pprof's peak memory) are printed as met or not.
#
#   bench/analyzer.sh [SAMPLES [FUNCTIONS [SHAPE]]]
#   make bench-analyzer = bench/analyzer.sh 1200000 20000 service, then
#                         bench/analyzer.sh
# Needs /usr/bin/time (Debian package `time`), curl and go; pprof takes
# minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
samples=${1:-1000000}
functions=${2:-20000}
shape=${3:-unmerged}
work=$(mktemp -d /tmp/cprof-bench.XXXXXX)
web_pid=""
trap '[ -z "$web_pid" ] || kill "$web_pid" 2>/dev/null; rm -rf "$work"' EXIT

make -C "$root" --no-print-directory build/cprof build/bench/genprofile >/dev/null
[ -x /usr/bin/time ] || { echo "analyzer.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

"$root/build/bench/genprofile" "$samples" "$functions" 1 ${shape/unmerged/} >"$work/big.pb"
bytes=$(stat -c %s "$work/big.pb")
echo "profile ($shape): $samples samples, $functions functions, $((bytes / 1000000)) MB raw profile.proto"

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
    CPU=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$work/$name.time")
}

measure cprof "$root/build/cprof" top "$work/big.pb"
cprof_s=$SECS cprof_kb=$KB cprof_cpu=$CPU
measure pprof go tool pprof -top "$work/big.pb"
pprof_s=$SECS pprof_kb=$KB pprof_cpu=$CPU
cmp -s "$work/cprof.out" "$work/pprof.out" && same=identical || same=DIFFERENT

# CPU time (user + system, every thread) next to wall time: on a shared,
# loaded machine the wall times swing with the neighbours' load.
printf '%-22s %10s %10s %14s\n' "" "wall (s)" "cpu (s)" "peak RSS (MB)"
printf '%-22s %10.2f %10.2f %14d\n' "cprof top" "$cprof_s" "$cprof_cpu" $((cprof_kb / 1024))
printf '%-22s %10.2f %10.2f %14d\n' "go tool pprof -top" "$pprof_s" "$pprof_cpu" $((pprof_kb / 1024))
awk -v a="$pprof_s" -v b="$cprof_s" -v c="$pprof_kb" -v d="$cprof_kb" -v e="$pprof_cpu" \
    -v f="$cprof_cpu" 'BEGIN { printf "cprof is %.1fx faster (wall), %.1fx (cpu), and uses %.1fx less peak memory\n", a / b, e / f, c / d }'
awk -v a="$pprof_s" -v b="$cprof_s" -v c="$pprof_kb" -v d="$cprof_kb" -v e="$pprof_cpu" \
    -v f="$cprof_cpu" 'BEGIN {
    wall = (a / b >= 10) ? "met" : "MISSED"; cpu = (e / f >= 10) ? "met" : "MISSED"
    mem = (d * 4 <= c) ? "met" : "MISSED"
    printf "targets: >= 10x faster: wall %s, cpu %s; <= 1/4 of the memory: %s\n", wall, cpu, mem }'
echo "reports: $same"

# The web UI's first page: from the start of `cprof -http` to /ui/ received.
start=$(date +%s.%N)
"$root/build/cprof" -http=127.0.0.1:0 "$work/big.pb" >/dev/null 2>"$work/web.err" &
web_pid=$!
url=""
while [ -z "$url" ]; do
    kill -0 "$web_pid" 2>/dev/null || { cat "$work/web.err" >&2; echo "web UI failed" >&2; exit 1; }
    url=$(sed -n 's|^Serving web UI on \(http://[^ ]*\)$|\1|p' "$work/web.err")
    [ -n "$url" ] || sleep 0.02
done
curl -sf -o "$work/page.html" "$url/ui/" || { echo "GET /ui/ failed" >&2; exit 1; }
end=$(date +%s.%N)
# Its CPU time so far (user + system clock ticks, /proc/PID/stat fields 14-15).
web_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
    "/proc/$web_pid/stat")
kill "$web_pid"
wait "$web_pid" 2>/dev/null || true
web_pid=""
awk -v a="$start" -v b="$end" -v c="$web_cpu" \
    'BEGIN { printf "web UI first page (start to /ui/ received): %.2f s wall, %.2f s cpu\n", b - a, c }'
[ "$same" = identical ]
