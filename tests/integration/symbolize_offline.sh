# Symbolization never leaves the machine: with DEBUGINFOD_URLS pointing at a
# local server that counts requests (Debian sets the variable system-wide),
# scraping profiles makes no debuginfod request.
source "$(dirname "$0")/lib/common.sh"
start_debuginfod "$WORK/requests"
port=$DEBUGINFOD_PORT
DEBUGINFOD_URLS=http://127.0.0.1:$port CPROF_HEAP_RATE=4096 start_preloaded sites "$HELPERS/heapsites" 4 1 8
wait_for_line sites ready
curl -sf -o /dev/null "$BASE/heap" || fail "heap"
curl -sf -o /dev/null "$BASE/heap?debug=1" || fail "heap?debug=1"
# the server is up and would have counted a request
curl -s -o /dev/null "http://127.0.0.1:$port/probe"
grep -qx /probe "$WORK/requests" || fail "the counting server is not answering"
[ "$(grep -vcE '^/(probe|ready)$' "$WORK/requests")" = 0 ] || { cat "$WORK/requests"; fail "debuginfod was queried"; }
finish_app || fail "heapsites exited $?"
