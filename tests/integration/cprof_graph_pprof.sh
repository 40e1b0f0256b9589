# The graphs against go tool pprof: `cprof -dot` prints what `go tool pprof
# -dot` prints, byte for byte (node order, labels, nodelets of the labels
# and "bytes" values, edges, legend); with -call_tree, where pprof's order
# of tied nodes is Go's map order, the same graph
# (tests/integration/lib/dot_compare.py: the legend, the nodes with their
# flat and cum values, the edges with their weights, residual and inline
# marks). With and without -call_tree (a node per
# calling context: pprof's newTree and TrimTree), with -mean (node and edge
# values over the counts), -nodecount, -cum, -focus, -lines,
# -relative_percentages, -compact_labels, -tagroot; on Go's profiles (the
# strings benchmarks) and on a heap profile libcprof served (heapsites).
# -call_tree leaves -top and -tree as they are (pprof honours it only in
# graphs). The flame graph, with and without -mean, has the values of
# pprof's web flame graph (its call tree), frame by frame.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
go_profiles "$WORK/go"

CPROF_HEAP_RATE=65536
export CPROF_HEAP_RATE
start_preloaded sites "$HELPERS/heapsites" 8 4 2
wait_for_line sites ready
curl -sf -o "$WORK/go/cheap.pb" "$BASE/heap" || fail "GET /heap"
finish_app || fail "heapsites exited $?"
cd "$WORK/go"

# same_graph ARGS...: `cprof -dot ARGS` is `go tool pprof -dot ARGS`. In a
# call tree, nodes of one function under different callers can tie in
# pprof's order (same score, name and flat value): which of them -nodecount
# keeps is then Go's map order, different from run to run; so with
# -call_tree, cprof's graph must be the one of at least one of 8 runs of
# pprof (one run when there is no tie). Without it, the text is pprof's.
same_graph() {
    local runs=1 i
    "$CPROF" -dot "$@" >"$WORK/cprof.dot" 2>"$WORK/cprof.err" ||
        { cat "$WORK/cprof.err" >&2; fail "cprof -dot $* failed"; }
    case " $* " in
    *" -call_tree "*) runs=8 ;;
    *)
        # pprof draws an edge to a node it left out (all values 0, with
        # -mean) as one to "N0", which does not exist; cprof leaves it out.
        go tool pprof -dot "$@" 2>"$WORK/pprof.err" | grep -v -e '^N0 -> ' -e ' -> N0 \[' \
            >"$WORK/pprof.dot" || { cat "$WORK/pprof.err" >&2; fail "go tool pprof -dot $* failed"; }
        if ! cmp -s "$WORK/pprof.dot" "$WORK/cprof.dot"; then
            diff "$WORK/pprof.dot" "$WORK/cprof.dot" | head -n 20 >&2
            fail "cprof -dot $* is not pprof's text"
        fi
        ;;
    esac
    for i in $(seq 1 $runs); do
        go tool pprof -dot "$@" >"$WORK/pprof.dot" 2>"$WORK/pprof.err" ||
            { cat "$WORK/pprof.err" >&2; fail "go tool pprof -dot $* failed"; }
        if python3 "$ROOT/tests/integration/lib/dot_compare.py" "$WORK/pprof.dot" "$WORK/cprof.dot" \
            >"$WORK/cmp.out"; then
            echo "same graph: $* ($(tail -n1 "$WORK/cmp.out"), pprof run $i)"
            return 0
        fi
    done
    head -n 20 "$WORK/cmp.out" >&2
    fail "cprof -dot $* differs from go tool pprof"
}

same_graph cpu.out
same_graph -call_tree cpu.out
same_graph -call_tree -nodecount=30 cpu.out
same_graph -call_tree -nodecount=10 -cum cpu.out
same_graph -call_tree -focus=Fields -relative_percentages -nodecount=1000 cpu.out
same_graph -call_tree -lines -nodecount=1000 cpu.out
same_graph -call_tree -nodecount=0 -nodefraction=0 -edgefraction=0 cpu.out
same_graph -call_tree -compact_labels -nodecount=1000 cpu.out
same_graph -nodecount=20 -cum -focus=Fields cpu.out
same_graph -mean cpu.out
same_graph -compact_labels -relative_percentages -focus=Fields cpu.out
same_graph -noinlines -edgefraction=0.01 cpu.out
same_graph -call_tree -mean -nodecount=1000 cpu.out
# Heap profiles: a node's "bytes" values are nodelets under it, and count
# against -nodecount.
for p in mem.out cheap.pb; do
    same_graph $p
    same_graph -nodecount=8 $p
    # -symbolize=none: cprof fills the lines of libc frames the host named
    # from its symbol table, pprof leaves them without (cprof_options_pprof).
    same_graph -lines -alloc_space -symbolize=none $p
    same_graph -mean -inuse_space $p
    same_graph -tagleaf=bytes $p
    same_graph -tagroot=bytes -unit=kb $p
    same_graph -call_tree $p
    same_graph -call_tree -mean -alloc_space $p
    same_graph -call_tree -tagroot=bytes $p
done
same_graph -diff_base=mem2.out mem.out
# pprof honours -call_tree only in graphs.
same_output -top -call_tree cpu.out
same_output -tree -call_tree cpu.out
# cprof -callgraph_svg is graphviz's rendering of the same DOT.
if command -v dot >/dev/null; then
    "$CPROF" -callgraph_svg -call_tree cpu.out >"$WORK/tree.svg" || fail "cprof -callgraph_svg -call_tree"
    grep -q '<svg' "$WORK/tree.svg" || fail "-callgraph_svg -call_tree is not SVG"
fi

# The flame graph against pprof's web UI's (pprof -http on loopback, port 0;
# pprof prints port 0 back, so its port is read with ss; the pprof binary is
# run itself, not through `go tool`, so the pid is the server's).
PPROF_BIN=$(go env GOTOOLDIR)/pprof
flame_as_pprof() {
    "$PPROF_BIN" -no_browser -http=127.0.0.1:0 "$@" >"$WORK/pw.out" 2>"$WORK/pw.err" &
    local pid=$! port=""
    PIDS+=("$pid")
    for _ in $(seq 1 600); do
        port=$(ss -Hltnp | grep "pid=$pid," | awk '{print $4}' | sed 's/.*://' | head -n1)
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$WORK/pw.err" >&2; fail "pprof -http $* exited"; }
        sleep 0.1
    done
    [ -n "$port" ] || fail "pprof -http $* never listened"
    curl -sf -o "$WORK/pprof_flame.html" "http://127.0.0.1:$port/ui/flamegraph" ||
        fail "pprof's /ui/flamegraph"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    "$CPROF" -svg "$@" >"$WORK/cprof_flame.svg" || fail "cprof -svg $*"
    python3 "$ROOT/tests/integration/lib/flame_compare.py" "$WORK/pprof_flame.html" \
        "$WORK/cprof_flame.svg" || fail "cprof -svg $*: not pprof's flame graph"
}
flame_as_pprof cpu.out
flame_as_pprof -mean cpu.out
flame_as_pprof -mean -alloc_space mem.out
flame_as_pprof -focus=Fields cpu.out
flame_as_pprof -alloc_space cheap.pb
flame_as_pprof -mean -alloc_space cheap.pb
echo "graphs: same as go tool pprof"
