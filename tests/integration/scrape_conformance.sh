# Scrape conformance: Grafana Alloy's pyroscope.scrape and Parca's default
# jobs replayed against a preloaded program whose allocations, lock
# contention and waits keep growing (scrapesites), every response checked
# by the scrapers' own rules (lib/scrape_replay.py says which and where
# they come from): their five paths and ?seconds=, their timeouts and
# User-Agent, no Accept header, exactly 200 with a non-empty octet-stream
# body and Go's Content-Disposition, gzip'd profile.proto with
# string_table[0] empty, Go's sample types, time_nanos the collection time,
# duration_nanos on the CPU profile only, and never a negative per-stack
# delta between consecutive allocs/mutex/block scrapes (as Alloy diffs
# them). Intervals shortened for test time (Alloy at 3 s and at its 2 s
# minimum, Parca at 3 s with a bearer token), plus one round of Alloy's
# real default: profile?seconds=14, within its 24 s timeout.
source "$(dirname "$0")/lib/common.sh"
REPLAY="python3 $(dirname "$0")/lib/scrape_replay.py"

# replay KIND INTERVAL ROUNDS [--token T]: one scraper's default job.
replay() {
    local kind=$1 interval=$2 rounds=$3
    shift 3
    $REPLAY "http://127.0.0.1:$PORT" "$kind" "$interval" "$rounds" --log "$WORK/scrapes.log" "$@" ||
        { tail -n 20 "$WORK/scrapes.log" >&2; fail "$kind at ${interval}s"; }
}

start_preloaded sites "$HELPERS/scrapesites"
wait_for_line sites ready
replay alloy 3 4
replay alloy 2 4
# Alloy's defaults as shipped: 15 s interval, process_cpu?seconds=14 with a
# 10 + 14 = 24 s timeout; the snapshots in the same round.
replay alloy 15 1
grep -q '^alloy process_cpu #1 200 1[4-9]\.[0-9]*s .* ok$' "$WORK/scrapes.log" ||
    { grep process_cpu "$WORK/scrapes.log" >&2; fail "no 14 s CPU profile served"; }
finish_app || fail "scrapesites exited with $?"

# Parca against a target that wants a bearer token (its bearer_token
# setting): every scrape authorized, the rules the same.
TOKEN=scrape-conformance-token-0123456789
CPROF_TOKEN=$TOKEN start_preloaded sites_token "$HELPERS/scrapesites"
wait_for_line sites_token ready
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/allocs")
[ "$code" = 401 ] || fail "no token: status $code, not 401"
replay parca 3 4 --token "$TOKEN"
finish_app || fail "scrapesites exited with $?"

# Every scrape of every loop ran: 5 profiles x (4 + 4 + 1 + 4) rounds.
n=$(grep -c ' ok$' "$WORK/scrapes.log")
[ "$n" = 65 ] || { cat "$WORK/scrapes.log" >&2; fail "$n scrapes ok, not 65"; }
