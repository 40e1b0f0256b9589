# Symbolization never leaves the machine: with DEBUGINFOD_URLS pointing at a
# local server that counts requests (Debian sets the variable system-wide),
# scraping profiles makes no debuginfod request.
source "$(dirname "$0")/lib/common.sh"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$port" "$WORK/requests" <<'PY' &
import http.server, sys
log = open(sys.argv[2], "a")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        log.write(self.path + "\n"); log.flush()
        self.send_response(404); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PIDS+=($!)
touch "$WORK/requests"
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/ready" && break
    sleep 0.05
done
DEBUGINFOD_URLS=http://127.0.0.1:$port CPROF_HEAP_RATE=4096 start_preloaded sites "$HELPERS/heapsites" 4 1 8
wait_for_line sites ready
curl -sf -o /dev/null "$BASE/heap" || fail "heap"
curl -sf -o /dev/null "$BASE/heap?debug=1" || fail "heap?debug=1"
# the server is up and would have counted a request
curl -s -o /dev/null "http://127.0.0.1:$port/probe"
grep -qx /probe "$WORK/requests" || fail "the counting server is not answering"
[ "$(grep -vcE '^/(probe|ready)$' "$WORK/requests")" = 0 ] || { cat "$WORK/requests"; fail "debuginfod was queried"; }
finish_app || fail "heapsites exited $?"
