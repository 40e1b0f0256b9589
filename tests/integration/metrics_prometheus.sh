# Prometheus metrics, read by a real Prometheus (Debian's package): it
# scrapes the leaky subscriber (a thread more every tick) at /metrics and
# its fixed twin at CPROF_METRICS_PATH=/prom every second, evaluating the
# alerting rules shipped in docs/prometheus/cprof-rules.yml (windows
# shortened from 15m to 10s). Through Prometheus's HTTP API the test finds
# process_threads growing on the leaky one and flat on the fixed one, the
# CprofThreadLeak alert pending or firing on the leaky one only, and the
# creator label naming cron_tick. promtool check metrics accepts both
# expositions. Prometheus runs on a loopback port with its storage in WORK
# and is in PIDS, so cleanup ends it whatever happens.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/redis.sh"
command -v prometheus >/dev/null && command -v promtool >/dev/null ||
    fail "prometheus or promtool missing (scripts/install-deps.sh)"
EX=$ROOT/build/examples/leaky-subscriber
start_redis

start_preloaded leaky "$EX/leaky" -p "$REDIS_PORT" -t 100
wait_for_line leaky ready
LEAKY_PORT=$PORT
exec 8>&9 # keep the leaky one's stdin open while fd 9 moves on
CPROF_METRICS_PATH=/prom start_preloaded fixed "$EX/fixed" -p "$REDIS_PORT" -t 100 -w 30
wait_for_line fixed ready
FIXED_PORT=$PORT

# The exposition itself: content type, both paths, promtool's linter.
curl -sfD "$WORK/h.txt" -o "$WORK/leaky.prom" "http://127.0.0.1:$LEAKY_PORT/metrics" || fail "GET /metrics"
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$WORK/h.txt" || { cat "$WORK/h.txt"; fail "content type"; }
curl -sf -o "$WORK/fixed.prom" "http://127.0.0.1:$FIXED_PORT/prom" || fail "GET /prom (CPROF_METRICS_PATH)"
curl -sf -o "$WORK/fixed2.prom" "http://127.0.0.1:$FIXED_PORT/debug/pprof/metrics" || fail "GET /debug/pprof/metrics"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FIXED_PORT/metrics")
[ "$code" = 404 ] || fail "/metrics with CPROF_METRICS_PATH=/prom: $code, want 404"
for f in leaky fixed fixed2; do
    promtool check metrics <"$WORK/$f.prom" >"$WORK/promtool.txt" 2>&1 || { cat "$WORK/promtool.txt"; fail "promtool check metrics ($f)"; }
done
grep -q '^process_threads [0-9]' "$WORK/leaky.prom" || fail "no process_threads"

# Prometheus: the shipped rules with 10 s windows, a 1 s scrape.
sed -e 's/15m/10s/g' -e 's/30m/10s/g' "$ROOT/docs/prometheus/cprof-rules.yml" >"$WORK/rules.yml"
grep -q 'deriv(process_threads\[10s\])' "$WORK/rules.yml" || fail "rules file: no thread rule to shorten"
promtool check rules "$WORK/rules.yml" >/dev/null || fail "promtool check rules"
cat >"$WORK/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$WORK/rules.yml"]
scrape_configs:
  - job_name: leaky
    static_configs: [{targets: ["127.0.0.1:$LEAKY_PORT"], labels: {app: leaky}}]
  - job_name: fixed
    metrics_path: /prom
    static_configs: [{targets: ["127.0.0.1:$FIXED_PORT"], labels: {app: fixed}}]
CONF
PROM_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PIDS+=("$!")
PROM=http://127.0.0.1:$PROM_PORT

# query EXPR: the instant vector as "app alertstate value" lines ("-" when absent).
query() {
    curl -sf --get --data-urlencode "query=$1" "$PROM/api/v1/query" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["status"] == "success", r
for s in r["data"]["result"]:
    print(s["metric"].get("app", "-"), s["metric"].get("alertstate", "-"), s["value"][1])'
}
for _ in $(seq 1 100); do
    curl -sf "$PROM/-/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "$PROM/-/ready" >/dev/null || { cat "$WORK/prometheus.log"; fail "prometheus not ready"; }

# Up to 50 s for the leaky one's alert and 20 s of history of both (the
# first scrape waits for Prometheus's target refresh, up to 5 s).
start=$SECONDS
while :; do
    sleep 2
    query 'ALERTS{alertname="CprofThreadLeak"}' >"$WORK/alerts.txt" || fail "query ALERTS"
    query 'process_threads offset 20s' >"$WORK/history.txt" || fail "query history"
    elapsed=$((SECONDS - start))
    grep -q '^leaky ' "$WORK/alerts.txt" && [ "$(wc -l <"$WORK/history.txt")" = 2 ] && break
    [ $elapsed -lt 50 ] || { cat "$WORK/alerts.txt" "$WORK/history.txt" "$WORK/prometheus.log"; fail "no CprofThreadLeak alert for leaky, or not 20 s of history, in ${elapsed}s"; }
done
query 'up' >"$WORK/up.txt"
[ "$(grep -c ' 1$' "$WORK/up.txt")" = 2 ] || { cat "$WORK/up.txt"; fail "both targets up"; }
grep -qE '^leaky (pending|firing) 1$' "$WORK/alerts.txt" || { cat "$WORK/alerts.txt"; fail "leaky alert state"; }
! grep -q '^fixed ' "$WORK/alerts.txt" || { cat "$WORK/alerts.txt"; fail "the alert fires on the fixed one"; }

# Growing on the leaky one (a thread every 100 ms: ~200 in 20 s), flat on
# the fixed one (its short-lived subscriber comes and goes: at most a few).
query 'process_threads - process_threads offset 20s' >"$WORK/growth.txt"
leaky_growth=$(awk '$1 == "leaky" {print int($3)}' "$WORK/growth.txt")
fixed_growth=$(awk '$1 == "fixed" {print int($3)}' "$WORK/growth.txt")
[ -n "$leaky_growth" ] && [ -n "$fixed_growth" ] || { cat "$WORK/growth.txt"; fail "no growth values"; }
[ "$leaky_growth" -ge 50 ] || fail "leaky grew by $leaky_growth threads in 20 s"
query 'max_over_time(process_threads[20s]) - min_over_time(process_threads[20s])' >"$WORK/range.txt"
fixed_range=$(awk '$1 == "fixed" {print int($3)}' "$WORK/range.txt")
[ -n "$fixed_range" ] && [ "$fixed_range" -le 3 ] || { cat "$WORK/range.txt"; fail "fixed: thread count moved by $fixed_range"; }
query 'deriv(process_threads[20s])' >"$WORK/deriv.txt"
awk '$1 == "leaky" && $3 > 2 {ok = 1} END {exit !ok}' "$WORK/deriv.txt" || { cat "$WORK/deriv.txt"; fail "leaky deriv"; }

# The creator label names the leak's spawner; counters count.
query 'cprof_threads_by_creator{app="leaky",creator="cron_tick"}' >"$WORK/creator.txt"
awk '$3 >= 100 {ok = 1} END {exit !ok}' "$WORK/creator.txt" || { cat "$WORK/creator.txt"; fail "cron_tick threads"; }
query 'cprof_threads_created_total' >"$WORK/created.txt"
awk '$1 == "fixed" && $3 >= 100 {ok = 1} END {exit !ok}' "$WORK/created.txt" || { cat "$WORK/created.txt"; fail "fixed created counter"; }
query 'cprof_http_requests_total{app="fixed",path="/metrics",code="200"}' >"$WORK/requests.txt"
awk '$3 >= 20 {ok = 1} END {exit !ok}' "$WORK/requests.txt" || { cat "$WORK/requests.txt"; fail "request counter"; }
echo "leaky +$leaky_growth threads in 20 s, fixed range $fixed_range; alert: $(cat "$WORK/alerts.txt" | tr '\n' ';')"
