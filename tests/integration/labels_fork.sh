# Labels across fork() under LD_PRELOAD (tests/helpers/labelfork): the
# parent sets labels, forks; the child inherits the forking thread's labels
# (what it allocates before changing them carries the parent's), then sets
# and clears its own and starts threads. Read with go tool pprof -traces:
#   - the child's CPU and heap samples (?pid=CHILD through the parent's
#     server) carry the child's labels: its main thread role=child,child=1
#     and no stale request=parent-req; thread A worker=child-a only; thread
#     B none (the parent worker's labels, whose thread does not exist in the
#     child, are nowhere);
#   - the child's threads?debug=2 shows the same per thread;
#   - the parent's samples keep the parent's labels, and none is the child's;
#   - a child forked from a labelled thread that is not main (child2) has
#     only its own role=child2 on its samples and its one thread;
#   - nothing crashes: the children die only of the parent's SIGTERM.
source "$(dirname "$0")/lib/common.sh"

CPROF_HEAP_RATE=4096 start_preloaded lf "$HELPERS/labelfork"
wait_for_line lf ready
CHILD=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$WORK/lf.out")
CHILD2=$(sed -n 's/^child2 \([0-9]*\)$/\1/p' "$WORK/lf.out")
[ -n "$CHILD" ] && [ -n "$CHILD2" ] || fail "no child pids"
sleep 0.5 # the child's threads are running
curl -sf -o "$WORK/child.cpu.pb.gz" "$BASE/profile?seconds=2&hz=250&pid=$CHILD" &
c1=$!
curl -sf -o "$WORK/parent.cpu.pb.gz" "$BASE/profile?seconds=2&hz=250" &
c2=$!
curl -sf -o "$WORK/child2.cpu.pb.gz" "$BASE/profile?seconds=2&hz=250&pid=$CHILD2" &
c3=$!
PIDS+=("$c1" "$c2" "$c3")
wait "$c1" || fail "GET the child's CPU profile (?pid=$CHILD)"
wait "$c2" || fail "GET the parent's CPU profile"
wait "$c3" || fail "GET child2's CPU profile (?pid=$CHILD2)"
curl -sf -o "$WORK/child2.heap.pb.gz" "$BASE/heap?pid=$CHILD2" || fail "GET child2's heap"
curl -sf -o "$WORK/child2.threads.txt" "$BASE/threads?debug=2&pid=$CHILD2" || fail "GET child2's threads"
curl -sf -o "$WORK/child.heap.pb.gz" "$BASE/heap?pid=$CHILD" || fail "GET the child's heap"
curl -sf -o "$WORK/parent.heap.pb.gz" "$BASE/heap" || fail "GET the parent's heap"
curl -sf -o "$WORK/child.threads.txt" "$BASE/threads?debug=2&pid=$CHILD" || fail "GET the child's threads"
curl -sf -o "$WORK/parent.threads.txt" "$BASE/threads?debug=2" || fail "GET the parent's threads"
finish_app || fail "labelfork exited $? (its child did not die of SIGTERM)"
! grep -qiE 'sanitizer|segmentation|abort' "$WORK/lf.err" || { cat "$WORK/lf.err"; fail "a crash"; }

# check PROFILE 'FUNCTION=k:v,k:v;...': every sample whose stack has
# FUNCTION carries exactly those labels (none when empty), and there is
# at least one; the numeric "bytes" label of heap samples is left aside.
check() {
    local f=$1 spec=$2
    pprof_clean -traces "$f" >"$WORK/traces.txt"
    python3 - "$WORK/traces.txt" "$spec" "$f" <<'PY'
import re, sys
text, spec, name = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
blocks = [b for b in text.split("-----------+-------------------------------------------------------")[1:] if b.strip()]
samples = []
for b in blocks:
    labels, frames = {}, []
    for line in b.strip("\n").split("\n"):
        m = re.fullmatch(r"\s*([\w-]+):  (.*)", line)  # "      role:  child"
        if m:
            if m.group(1) != "bytes":
                labels[m.group(1)] = m.group(2).strip()
        elif line.strip():
            frames.append(line.split()[-1])  # "  40ms   f" or "         f"
    samples.append((labels, frames))
for item in spec.split(";"):
    fn, want = item.split("=", 1)
    want = dict(kv.split(":", 1) for kv in want.split(",") if kv)
    hits = [l for l, fr in samples if fn in fr]
    assert hits, f"{name}: no sample in {fn}"
    bad = [l for l in hits if l != want]
    assert not bad, f"{name}: {fn}'s samples carry {bad[0]}, want {want} ({len(bad)} of {len(hits)})"
    print(f"ok {name.split('/')[-1]}: {len(hits)} samples in {fn}, labels {want or 'none'}")
PY
}
check "$WORK/child.cpu.pb.gz" \
    'child_main_burn=role:child,child:1;child_a_burn=worker:child-a;child_b_burn=' || fail "the child's CPU labels"
check "$WORK/child.heap.pb.gz" \
    'child_main_alloc=role:child,child:1;child_a_alloc=worker:child-a;child_b_alloc=;child_alloc_inherited=role:parent,request:parent-req' ||
    fail "the child's heap labels"
check "$WORK/parent.cpu.pb.gz" 'parent_burn=role:parent-worker' || fail "the parent's CPU labels"
check "$WORK/parent.heap.pb.gz" 'parent_alloc=role:parent-worker' || fail "the parent's heap labels"
check "$WORK/child2.cpu.pb.gz" 'child2_burn=role:child2' || fail "child2's CPU labels"
check "$WORK/child2.heap.pb.gz" 'child2_alloc=role:child2' || fail "child2's heap labels"
for f in parent.cpu parent.heap; do
    ! pprof_clean -traces "$WORK/$f.pb.gz" | grep -qE '^ *(child|worker):  ' || fail "$f carries a child's label"
done
# threads?debug=2: each thread's header "labels {...}" as Go prints it.
header() { grep -E "^thread [0-9]+ .*" "$1"; }
header "$WORK/child.threads.txt" >"$WORK/child.headers"
grep -q "^thread $CHILD .*labels {\"child\":\"1\", \"role\":\"child\"}" "$WORK/child.headers" ||
    { cat "$WORK/child.headers"; fail "the child's main thread labels"; }
grep -q 'labels {"worker":"child-a"}' "$WORK/child.headers" || { cat "$WORK/child.headers"; fail "thread A's labels"; }
[ "$(grep -c 'labels {' "$WORK/child.headers")" = 2 ] || { cat "$WORK/child.headers"; fail "labels on more than two child threads"; }
! grep -q 'parent' "$WORK/child.headers" || { cat "$WORK/child.headers"; fail "a parent's label in the child"; }
header "$WORK/child2.threads.txt" | grep -v 'cprof internal' >"$WORK/child2.headers"
[ "$(wc -l <"$WORK/child2.headers")" = 1 ] && grep -q "^thread $CHILD2 .*labels {\"role\":\"child2\"}" "$WORK/child2.headers" ||
    { cat "$WORK/child2.headers"; fail "child2's one thread and its labels"; }
header "$WORK/parent.threads.txt" >"$WORK/parent.headers"
grep -q 'labels {"request":"parent-req", "role":"parent"}' "$WORK/parent.headers" ||
    { cat "$WORK/parent.headers"; fail "the parent's main thread labels"; }
echo "ok"
