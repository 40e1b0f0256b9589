# The program's signals stay the program's: cprof's threads block them from
# their first instruction, so a process-directed signal never lands on one.
#   - sigwait_host blocks every signal in main and handles SIGUSR1, SIGCHLD
#     and SIGTERM in one sigwait thread: 5 kill(getpid(), SIGUSR1), a child's
#     SIGCHLD and a SIGTERM all reach that thread (with an open mask on a
#     cprof thread the first SIGUSR1 killed it: exit 138);
#   - sigsuspend_host waits in sigsuspend for the SIGCHLD of a child that
#     exited while the signal was blocked: 20 of 20 rounds get it.
# Both while every endpoint is scraped in a loop (new connection threads).
source "$(dirname "$0")/lib/common.sh"

# scrape_loop: GET the endpoints until killed.
scrape_loop() {
    while :; do
        for p in "" cmdline "heap?debug=1" "threads?debug=1" "goroutine?debug=2" heap \
            "profile?seconds=1&hz=200"; do
            curl -s -o /dev/null --max-time 5 "$BASE/$p" || true
        done
    done
}

# run_host NAME CMD...: start CMD under the preload, scrape while it runs
# its signals, and return its exit status.
run_host() {
    local name=$1
    shift
    start_preloaded "$name" "$@"
    wait_for_line "$name" ready 30
    scrape_loop &
    local scraper=$!
    PIDS+=("$scraper")
    sleep 0.5
    echo go >&9
    local rc=0
    for _ in $(seq 1 300); do
        kill -0 "$APP_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$APP_PID" 2>/dev/null && { kill -KILL "$APP_PID"; fail "$name hung"; }
    wait "$APP_PID" || rc=$?
    kill "$scraper" 2>/dev/null || true
    wait "$scraper" 2>/dev/null || true
    PIDS=()
    exec 9>&-
    return $rc
}

rc=0
run_host sigwait "$HELPERS/sigwait_host" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/sigwait.out" "$WORK/sigwait.err" >&2; fail "sigwait_host exited $rc"; }
grep -qx 'usr1=5 chld=1 term=1' "$WORK/sigwait.out" || fail "sigwait_host: $(cat "$WORK/sigwait.out")"

rc=0
run_host sigsuspend "$HELPERS/sigsuspend_host" 20 || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/sigsuspend.out" "$WORK/sigsuspend.err" >&2; fail "sigsuspend_host exited $rc"; }
grep -qx 'rounds=20 ok' "$WORK/sigsuspend.out" || fail "sigsuspend_host: $(cat "$WORK/sigsuspend.out")"

# Every thread of cprof's blocks SIGUSR1, SIGTERM, SIGCHLD (SigBlk), seen on
# a running host: the listener, and a connection thread during a request.
start_preloaded sigwait2 "$HELPERS/sigwait_host"
wait_for_line sigwait2 ready 30
curl -s -o /dev/null --max-time 5 "$BASE/profile?seconds=1" &
req=$!
sleep 0.5
n=0
for task in /proc/"$APP_PID"/task/*; do
    comm=$(cat "$task/comm")
    case $comm in
    cprof-* | MHD-*)
        n=$((n + 1))
        blk=$(sed -n 's/^SigBlk:\t//p' "$task/status")
        # SIGUSR1 (10), SIGCHLD (17), SIGTERM (15): bits 9, 16, 14.
        (((0x$blk >> 9) & 1 && (0x$blk >> 16) & 1 && (0x$blk >> 14) & 1)) ||
            fail "thread $comm does not block the program's signals: SigBlk $blk"
        ;;
    esac
done
[ "$n" -ge 2 ] || fail "expected the listener and a connection thread, found $n cprof threads"
wait "$req" || true
echo go >&9
finish_app || fail "sigwait_host (second run) exited non-zero"
