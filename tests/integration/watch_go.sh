# cprof watch on a Go program's own net/http/pprof (the seed's language):
# a /debug/pprof/ prefix without a "threads" profile falls back to
# "goroutine", the leaking goroutine is named at main.go's line (not the
# runtime frames above it) with its creator from goroutine?debug=2.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/watch.sh"
command -v go >/dev/null || fail "go missing (scripts/install-deps.sh)"
SRC=$ROOT/tests/integration/lib/goleak.go
mkdir -p "$WORK/go"
cp "$SRC" "$WORK/go/main.go"
(cd "$WORK/go" && GO111MODULE=off GOPATH=$WORK/gopath GOCACHE=$WORK/gocache go build -o goleak main.go) || fail "go build"
mkfifo "$WORK/go.in"
"$WORK/go/goleak" <"$WORK/go.in" >"$WORK/go.out" 2>"$WORK/go.err" &
PIDS+=("$!")
gopid=$!
exec 8>"$WORK/go.in"
url=""
for _ in $(seq 1 100); do
    url=$(head -n1 "$WORK/go.out")
    [ -n "$url" ] && break
    sleep 0.05
done
[ -n "$url" ] || fail "goleak printed no URL"
rc=0
"$CPROF" watch --interval 1s --duration 10s --save-dir "$WORK" "$url" >"$WORK/report.txt" 2>"$WORK/progress.txt" || rc=$?
[ "$rc" = 1 ] || { cat "$WORK/report.txt" "$WORK/progress.txt"; fail "exit $rc, want 1"; }
wait_line=$(grep -n '<-ch // never closed' "$SRC" | cut -d: -f1)
go_line=$(grep -n 'go subscribe(ch)' "$SRC" | cut -d: -f1)
grep -qE "^  threads +main\.subscribe \(main\.go:$wait_line\) \+[0-9.]+ threads/min, created by main\.cron \(main\.go:$go_line\)$" "$WORK/report.txt" ||
    { cat "$WORK/report.txt"; fail "verdict"; }
grep -q '/debug/pprof/goroutine' "$WORK/report.txt" || fail "did not fall back to goroutine"
exec 8>&-
wait "$gopid" 2>/dev/null || true
echo "go: main.subscribe (main.go:$wait_line) created by main.cron (main.go:$go_line)"
