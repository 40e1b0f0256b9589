# The seed story in C: the leaky subscriber daemon (one more thread blocked
# reading Redis every tick) found with /debug/pprof/threads, as the Go
# engineer found it with /debug/pprof/goroutine: the top group grows between
# two views and names the subscriber with file:line, debug=2 says the tick
# created it, `go tool pprof -top` on the proto puts it first; the fixed
# daemon's thread count stays flat.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/redis.sh"
EX=$ROOT/build/examples/leaky-subscriber
start_redis

# first group's count in a debug=1 reply
top_count() { sed -n '2s/^\([0-9]*\) @ .*/\1/p' "$1"; }

start_preloaded leaky "$EX/leaky" -p "$REDIS_PORT" -t 100
wait_for_line leaky ready
sleep 1
curl -sf -o "$WORK/t1.txt" "$BASE/threads?debug=1" || fail "GET threads?debug=1"
sleep 1
curl -sf -o "$WORK/t2.txt" "$BASE/threads?debug=1" || fail "GET threads?debug=1 (2)"
head -n1 "$WORK/t1.txt" | grep -qE '^threads profile: total [0-9]+$' || fail "header: $(head -n1 "$WORK/t1.txt")"
c1=$(top_count "$WORK/t1.txt")
c2=$(top_count "$WORK/t2.txt")
[ -n "$c1" ] && [ -n "$c2" ] || { cat "$WORK/t2.txt"; fail "no groups"; }
[ "$c2" -gt "$c1" ] || fail "top group did not grow: $c1 then $c2"
[ "$c1" -ge 5 ] || fail "top group too small after 1 s at 100 ms ticks: $c1"
# The top group is the subscribers: its frames name the function, file:line.
top_group=$(awk 'NR > 1 && /^$/ {exit} NR > 1' "$WORK/t2.txt")
line=$(grep -n 'redisGetReply(c, &msg)' "$ROOT/examples/leaky-subscriber/leaky.c" | cut -d: -f1)
echo "$top_group" | grep -qE "^#	0x[0-9a-f]+	subscribe_new_tasks\+0x[0-9a-f]+	.*leaky-subscriber/leaky\.c:$line$" ||
    { echo "$top_group"; fail "top group does not name subscribe_new_tasks at leaky.c:$line"; }
echo "$top_group" | grep -qE '^#	0x[0-9a-f]+	__GI___libc_read|^#	0x[0-9a-f]+	read' ||
    { echo "$top_group"; fail "top group is not blocked in read"; }
echo "$top_group" | grep -qx '# labels: {"job":"subscriber"}' ||
    { echo "$top_group"; fail "top group does not carry the job=subscriber label"; }
total=$(sed -n 's/^threads profile: total //p' "$WORK/t2.txt")
[ "$c2" -ge $((total / 2)) ] || fail "subscribers are not most threads: $c2 of $total"

# debug=2: every subscriber is sleeping in read and was created by the tick.
curl -sf -o "$WORK/dump.txt" "$BASE/threads?debug=2" || fail "GET threads?debug=2"
subs=$(grep -c '^thread [0-9]* "subscriber" \[sleeping in read, age [0-9.]*[mun]*s, cpu [0-9.]*[mun]*s, labels {"job":"subscriber"}\]:$' "$WORK/dump.txt" || true)
[ "$subs" -ge "$c2" ] || { head -40 "$WORK/dump.txt"; fail "debug=2 lists $subs sleeping subscribers, want >= $c2"; }
created=$(grep -c '^created by cron_tick in thread [0-9]* "cron"$' "$WORK/dump.txt" || true)
[ "$created" -ge "$subs" ] || fail "created by cron_tick: $created of $subs subscribers"
grep -A1 '^created by cron_tick' "$WORK/dump.txt" | grep -qE '^	.*leaky-subscriber/leaky\.c:[0-9]+ \+0x[0-9a-f]+$' ||
    fail "created by has no file:line"
grep -q '^thread [0-9]* ".*" \[.*, cprof internal\]:$' "$WORK/dump.txt" ||
    fail "the listener threads are not marked cprof internal"
! grep -q '^thread [0-9]* "\(subscriber\|cron\)" \[.*cprof internal' "$WORK/dump.txt" ||
    fail "a program thread is marked cprof internal"

# The goroutine alias serves the same data under Go's names.
curl -sf "$BASE/goroutine?debug=1" | head -n1 | grep -qE '^goroutine profile: total [0-9]+$' ||
    fail "goroutine?debug=1 header"

# Proto: go tool pprof, no warnings, the subscriber first.
curl -sf -o "$WORK/threads.pb" "$BASE/threads" || fail "GET threads"
pprof_clean -top "$WORK/threads.pb" >"$WORK/top.txt"
grep -q '^Type: threads$' "$WORK/top.txt" || { cat "$WORK/top.txt"; fail "sample type"; }
first=$(awk '/flat%/ {getline; print $NF; exit}' "$WORK/top.txt")
[ "$first" = subscribe_new_tasks ] || { cat "$WORK/top.txt"; fail "-top lists $first first"; }
curl -sf -o "$WORK/goroutine.pb" "$BASE/goroutine" || fail "GET goroutine"
pprof_clean -top "$WORK/goroutine.pb" | grep -q '^Type: goroutine$' || fail "goroutine sample type"
pprof_clean -raw "$WORK/threads.pb" >"$WORK/raw.txt"
grep -q 'threads/count' "$WORK/raw.txt" || fail "raw: sample type"
pprof_clean -tags "$WORK/threads.pb" >"$WORK/tags.txt"
grep -q 'subscriber' "$WORK/tags.txt" && grep -q 'sleeping' "$WORK/tags.txt" ||
    { cat "$WORK/tags.txt"; fail "name and state labels"; }
# The text form reads in pprof too (memory map section).
pprof_clean -top "$WORK/t2.txt" >"$WORK/top_text.txt"
grep -q subscribe_new_tasks "$WORK/top_text.txt" || { cat "$WORK/top_text.txt"; fail "text form in pprof"; }
finish_app || fail "leaky exited with $?"

# The fixed daemon: the same ticks, a flat thread count.
start_preloaded fixed "$EX/fixed" -p "$REDIS_PORT" -t 100 -w 30
wait_for_line fixed ready
sleep 0.5
n1=$(curl -sf "$BASE/threads?debug=1" | sed -n 's/^threads profile: total //p')
sleep 1.5
n2=$(curl -sf "$BASE/threads?debug=1" | sed -n 's/^threads profile: total //p')
[ -n "$n1" ] && [ -n "$n2" ] || fail "fixed: no totals"
[ $((n2 - n1)) -le 1 ] && [ $((n1 - n2)) -le 1 ] || fail "fixed: thread count moved from $n1 to $n2"
[ "$n2" -le 6 ] || fail "fixed: $n2 threads (main, listener, a connection, at most one subscriber)"
finish_app || fail "fixed exited with $?"
echo "leaky: top group $c1 -> $c2 of $total threads; fixed: $n1 -> $n2 threads"
