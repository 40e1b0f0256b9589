#!/bin/bash
# cprof vs go tool pprof on one large profile, in the same run, ROUNDS
# times, interleaved (cprof then pprof in every round, so the load of a
# shared machine falls on both alike):
#   - `cprof top` and `pprof -top` on the same file: wall time, CPU time
#     (user + system, every thread) and peak RSS from /usr/bin/time -v, and
#     their ratios; both reports must be identical, byte for byte;
#   - the web UI's first page: from the start of `cprof -http` to its first
#     page (/ui/, the top table) received, against the same for
#     `pprof -http` (its top view, /ui/top): wall and CPU time.
# Then the best and the median of each ratio over the rounds, and the
# targets of issue 18 (>= 10x faster, <= 1/4 of pprof's peak memory, the
# first page within 2 s) as met or not, on the median.
# The profile is synthetic (bench/genprofile.c). SHAPE "unmerged" (the
# default): SAMPLES (1,000,000) samples with 18-48 frames over FUNCTIONS
# (20,000) functions, ~83 MB of raw profile.proto, nearly every stack
# distinct. SHAPE "service": stacks that merge like a real service's
# (shared prefixes, a few hundred hot functions, a long tail, stacks
# repeating with varying leaves).
#
#   bench/analyzer.sh [SAMPLES [FUNCTIONS [SHAPE [ROUNDS]]]]   (ROUNDS: 3)
#   make bench-analyzer = bench/analyzer.sh 1200000 20000 service, then
#                         bench/analyzer.sh 1000000 20000 unmerged 1
# CPROF_BEFORE=path/to/an/older/cprof adds that build to every round (its
# top and first page, after the current build's), for before/after numbers
# from the same run. pprof is Go's (`go tool -n pprof`: the binary
# `go tool pprof` runs, so its CPU time is its own). Needs /usr/bin/time (Debian package `time`),
# curl and go; pprof takes minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
samples=${1:-1000000}
functions=${2:-20000}
shape=${3:-unmerged}
rounds=${4:-3}
before=${CPROF_BEFORE:-}
work=$(mktemp -d /tmp/cprof-bench.XXXXXX)
web_pid=""
# (errexit applies in the trap too: nothing in it may fail before the rm)
trap 'if [ -n "$web_pid" ]; then kill "$web_pid" 2>/dev/null; wait "$web_pid" 2>/dev/null || true; fi
      rm -rf "$work"' EXIT

make -C "$root" --no-print-directory build/cprof build/bench/genprofile >/dev/null
[ -x /usr/bin/time ] || { echo "analyzer.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
pprof=$(go tool -n pprof)

"$root/build/bench/genprofile" "$samples" "$functions" 1 ${shape/unmerged/} >"$work/big.pb"
bytes=$(stat -c %s "$work/big.pb")
echo "profile ($shape): $samples samples, $functions functions, $((bytes / 1000000)) MB raw profile.proto; $rounds rounds"

# measure NAME CMD...: runs CMD (stdout to $work/NAME.out), sets SECS, CPU, KB.
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

# first_page PATH CMD...: starts the web UI CMD, waits for its "Serving web
# UI on URL" line, gets URL/PATH; sets SECS (start to page received) and
# CPU (the server's user + system time by then), then stops it.
first_page() {
    local path=$1 url="" start end
    shift
    : >"$work/web.err" # before the start: the loop must not read the last server's line
    start=$(date +%s.%N)
    "$@" >/dev/null 2>>"$work/web.err" &
    web_pid=$!
    while [ -z "$url" ]; do
        kill -0 "$web_pid" 2>/dev/null || { cat "$work/web.err" >&2; echo "web UI failed" >&2; exit 1; }
        url=$(sed -n 's|^Serving web UI on \(http://[^ ]*\)$|\1|p' "$work/web.err")
        [ -n "$url" ] || sleep 0.02
    done
    curl -sf -o "$work/page.html" "$url$path" || { echo "GET $path failed" >&2; exit 1; }
    end=$(date +%s.%N)
    CPU=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
        "/proc/$web_pid/stat")
    kill "$web_pid"
    wait "$web_pid" 2>/dev/null || true
    web_pid=""
    SECS=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
}

same=identical
printf '%-6s %-22s %9s %8s %9s\n' round "" "wall (s)" "cpu (s)" "RSS (MB)"
: >"$work/rows"
for r in $(seq 1 "$rounds"); do
    measure cprof "$root/build/cprof" top "$work/big.pb"
    c_s=$SECS c_cpu=$CPU c_kb=$KB
    if [ -n "$before" ]; then
        measure before "$before" top "$work/big.pb"
        b_s=$SECS b_cpu=$CPU b_kb=$KB
    fi
    measure pprof "$pprof" -top "$work/big.pb"
    p_s=$SECS p_cpu=$CPU p_kb=$KB
    cmp -s "$work/cprof.out" "$work/pprof.out" || same=DIFFERENT
    [ -z "$before" ] || cmp -s "$work/before.out" "$work/pprof.out" || same=DIFFERENT
    first_page /ui/ "$root/build/cprof" -http=127.0.0.1:0 "$work/big.pb"
    cw_s=$SECS cw_cpu=$CPU
    if [ -n "$before" ]; then
        first_page /ui/ "$before" -http=127.0.0.1:0 "$work/big.pb"
        bw_s=$SECS bw_cpu=$CPU
    fi
    first_page /ui/top "$pprof" -no_browser -http=127.0.0.1: "$work/big.pb"
    pw_s=$SECS pw_cpu=$CPU
    printf '%-6s %-22s %9.2f %8.2f %9d\n' "$r" "cprof top" "$c_s" "$c_cpu" $((c_kb / 1024))
    printf '%-6s %-22s %9.2f %8.2f %9d\n' "" "pprof -top" "$p_s" "$p_cpu" $((p_kb / 1024))
    printf '%-6s %-22s %9.2f %8.2f\n' "" "cprof web first page" "$cw_s" "$cw_cpu"
    printf '%-6s %-22s %9.2f %8.2f\n' "" "pprof web first page" "$pw_s" "$pw_cpu"
    echo "$c_s $c_cpu $c_kb $p_s $p_cpu $p_kb $cw_s $cw_cpu $pw_s $pw_cpu" >>"$work/rows"
    if [ -n "$before" ]; then
        printf '%-6s %-22s %9.2f %8.2f %9d\n' "" "before: cprof top" "$b_s" "$b_cpu" $((b_kb / 1024))
        printf '%-6s %-22s %9.2f %8.2f\n' "" "before: first page" "$bw_s" "$bw_cpu"
        echo "$b_s $b_cpu $b_kb $p_s $p_cpu $p_kb $bw_s $bw_cpu $pw_s $pw_cpu" >>"$work/before_rows"
    fi
done

# summary TITLE ROWS: per round, the ratios (pprof / cprof) and cprof's
# first page; then the best and the median of each over the rounds.
summary() {
    awk -v title="$1" '
    function sortv(a, n,    i, j, t) {
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    }
    function med(a, n) { sortv(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    function best(a, n,    i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] > m) m = a[i]; return m }
    function least(a, n,    i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] < m) m = a[i]; return m }
    {
        n++
        wall[n] = $4 / $1; cpu[n] = $5 / ($2 > 0 ? $2 : 0.01); mem[n] = $6 / $3
        pw[n] = $9 / $7; pc[n] = $10 / ($8 > 0 ? $8 : 0.01); ws[n] = $7; wc[n] = $8
    }
    END {
        printf "\n%-40s %8s %8s\n", title " pprof / cprof (x)", "best", "median"
        printf "%-40s %8.1f %8.1f\n", "top: wall time", best(wall, n), med(wall, n)
        printf "%-40s %8.1f %8.1f\n", "top: cpu time", best(cpu, n), med(cpu, n)
        printf "%-40s %8.1f %8.1f\n", "top: peak memory", best(mem, n), med(mem, n)
        printf "%-40s %8.1f %8.1f\n", "web UI first page: wall time", best(pw, n), med(pw, n)
        printf "%-40s %8.1f %8.1f\n", "web UI first page: cpu time", best(pc, n), med(pc, n)
        printf "%-40s %8.2f %8.2f\n", "cprof web UI first page: wall (s)", least(ws, n), med(ws, n)
        printf "%-40s %8.2f %8.2f\n", "cprof web UI first page: cpu (s)", least(wc, n), med(wc, n)
        mw = med(wall, n); mc = med(cpu, n); mm = med(mem, n); fw = med(ws, n); fc = med(wc, n)
        printf "targets (median): >= 10x faster: wall %s, cpu %s; <= 1/4 of the memory: %s; ", \
            (mw >= 10 ? "met" : "MISSED"), (mc >= 10 ? "met" : "MISSED"), (mm >= 4 ? "met" : "MISSED")
        printf "first page <= 2 s: wall %s, cpu %s\n", (fw <= 2 ? "met" : "MISSED"), (fc <= 2 ? "met" : "MISSED")
    }' "$2"
}
summary "" "$work/rows"
[ -z "$before" ] || summary "before:" "$work/before_rows"
echo "reports: $same"
[ "$same" = identical ]
