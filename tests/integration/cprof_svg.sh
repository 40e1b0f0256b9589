# cprof's graphs from a real profile (Go's strings benchmarks, CPU and heap):
# the -svg flame graph is well-formed XML whose root is the total and whose
# frames add up like the folded stacks of the same report, under -focus,
# -ignore, -sample_index and granularities; with -diff_base it is coloured
# red and green. -dot is valid graphviz (dot -Tsvg accepts it) naming the
# top functions and trimmed like the text reports; -callgraph_svg renders it,
# or fails in one line when dot is not on PATH.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
CHECK=$ROOT/tests/integration/lib/cprof_svg_check.py
go_profiles "$WORK/go"
cd "$WORK/go"

# top_names N ARGS...: the N heaviest functions of `cprof top ARGS`.
top_names() {
    local n=$1
    shift
    "$CPROF" -top "$@" >"$WORK/top.txt" || fail "cprof -top $*"
    table_rows "$WORK/top.txt" | head -n "$n" | sed -E -e 's/^ *([^ ]+ +){5}//' -e 's/ \((partial-)?inline\)$//'
}

# flame_matches ARGS...: -svg and -collapsed with ARGS agree (see the checker).
flame_matches() {
    "$CPROF" -svg "$@" >"$WORK/f.svg" || fail "cprof -svg $*"
    "$CPROF" -collapsed "$@" >"$WORK/f.txt" || fail "cprof -collapsed $*"
    local names
    mapfile -t names < <(top_names 5 "$@")
    python3 "$CHECK" "$WORK/f.svg" "$WORK/f.txt" "${names[@]}" ||
        fail "flame graph of $* is inconsistent"
}

flame_matches cpu.out
flame_matches -focus=FieldsFunc cpu.out
flame_matches -ignore=runtime cpu.out
flame_matches -lines cpu.out
flame_matches -files cpu.out
for si in alloc_space alloc_objects inuse_space inuse_objects; do
    flame_matches -sample_index=$si mem.out
done
"$CPROF" -svg -focus=FieldsFunc cpu.out >"$WORK/focus.svg"
grep -q '<title>strings.FieldsFunc ' "$WORK/focus.svg" || fail "focus lost its function"
! grep -q '<title>runtime.bgscavenge ' "$WORK/focus.svg" || fail "-focus did not filter the flame graph"

# Self-contained: no scripts, no external references.
! grep -Eqi '<script|xlink:href|@import|url\(' "$WORK/f.svg" || fail "svg references something external"

# With a base: both colours, and the root's grown/shrunk are the two profiles.
"$CPROF" -svg -diff_base=cpu2.out cpu.out >"$WORK/diff.svg" || fail "cprof -svg -diff_base"
python3 - "$WORK/diff.svg" <<'PY' || fail "diff flame graph"
import re, sys, xml.etree.ElementTree as ET
svg = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
fills = [r.attrib["fill"] for r in svg.iter(ns + "rect") if "fill" in r.attrib]
red = [f for f in fills if re.match(r"rgb\(255,(\d+),\1\)", f) and f != "rgb(255,230,230)"]
green = [f for f in fills if re.match(r"rgb\((\d+),255,\1\)", f) and f != "rgb(230,255,230)"]
assert red and green, "diff colours: %d red, %d green" % (len(red), len(green))
root = next(g for g in svg.iter(ns + "g") if "data-grown" in g.attrib)
assert int(root.attrib["data-grown"]) > 0 and int(root.attrib["data-shrunk"]) > 0
for g in svg.iter(ns + "g"):
    kids = g.findall(ns + "g")
    for k in ("data-grown", "data-shrunk"):
        assert sum(int(c.attrib[k]) for c in kids) <= int(g.attrib[k])
print("diff ok: %d red, %d green frames" % (len(red), len(green)))
PY
"$CPROF" -svg -base=cpu.out cpu.out >"$WORK/same.svg" || fail "cprof -svg -base=self"
python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$WORK/same.svg" ||
    fail "empty diff is not XML"

# DOT: graphviz reads it; the top functions are nodes; trimming as in top.
"$CPROF" -dot cpu.out >"$WORK/g.dot" || fail "cprof -dot"
dot -Tsvg "$WORK/g.dot" >"$WORK/g.svg" || fail "dot rejects cprof's DOT"
mapfile -t names < <(top_names 5 cpu.out)
for name in "${names[@]}"; do
    grep -q "tooltip=\"$name (" "$WORK/g.dot" || fail "$name is not a node"
done
grep -q 'Dropped [0-9]* nodes' "$WORK/g.dot" || fail "no node dropping in the legend"
"$CPROF" -dot -nodecount=5 mem.out >"$WORK/g5.dot" || fail "cprof -dot -nodecount=5"
[ "$(grep -c '^N[0-9]* \[' "$WORK/g5.dot")" -le 5 ] || fail "-nodecount=5 kept more nodes"
dot -Tsvg "$WORK/g5.dot" >/dev/null || fail "dot rejects -nodecount=5"
"$CPROF" -dot -diff_base=cpu2.out -nodecount=0 -nodefraction=0 -edgefraction=0 cpu.out |
    dot -Tsvg >/dev/null || fail "dot rejects an untrimmed diff graph"

# -callgraph_svg: dot's SVG, or one line when dot is missing.
"$CPROF" -callgraph_svg cpu.out >"$WORK/cg.svg" || fail "cprof -callgraph_svg"
python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$WORK/cg.svg" ||
    fail "callgraph svg is not XML"
grep -q 'FieldsFunc' "$WORK/cg.svg" || fail "callgraph svg misses a top function"
mkdir -p "$WORK/nodot"
one_line_error 1 env PATH="$WORK/nodot" "$CPROF" -callgraph_svg cpu.out | grep -q 'dot on PATH' ||
    fail "missing dot: wrong message"
echo "cprof svg/dot ok"
