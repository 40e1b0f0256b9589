#!/usr/bin/env python3
"""dot_compare.py PPROF.dot CPROF.dot: the two call graphs are the same graph.

Compared: the legend's lines, the node set (each node by its tooltip, the
full printable name, and the values of its label: flat, flat%, cum, cum%),
and the edge set (source and destination nodes, weight label, inline,
residual). Node ids are positions, and pprof's order of nodes whose sort keys
tie (a call tree's nodes of one function under different callers) is its map
order, so nodes are matched by content, as multisets; the node name's line
breaks (pprof's ShortenFunctionName drops a Go package's path) are not
compared. pprof's edges to its "N0" (a node not in the graph) are left
out. Prints what differs and exits 1, or exits 0.
"""
import collections
import re
import sys

NODE = re.compile(r'^(N\d+) \[label="((?:[^"\\]|\\.)*)".* tooltip="((?:[^"\\]|\\.)*)"')
EDGE = re.compile(r'^(N\d+) -> (N\d+) \[label="((?:[^"\\]|\\.)*)"(.*)\]$')
LEGEND = re.compile(r'label="((?:[^"\\]|\\.)*)"')


def values(label):
    """The label's values: the lines after the name ("flat (p%)", "of cum
    (p%)", or "0 of cum (p%)")."""
    parts = label.split("\\n")
    tail = []
    for p in reversed(parts):
        if re.match(r"^(-?[0-9.]+[a-zA-Z]*( \([-0-9.]+%\))?|0 of .*|of .*)$", p) and len(tail) < 2:
            tail.insert(0, p)
            if not p.startswith("of "):
                break
        else:
            break
    return "|".join(tail)


def parse(path):
    nodes, edges, legend = {}, [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("subgraph cluster_L"):
                legend = [l for l in LEGEND.search(line).group(1).split("\\l") if not l.startswith("Time: ")]
                continue
            m = NODE.match(line)
            if m:
                nodes[m.group(1)] = (m.group(3), values(m.group(2)))
                continue
            m = EDGE.match(line)
            if m:
                src, dst, label, rest = m.groups()
                edges.append((src, dst, label, 'style="dotted"' in rest))
    # A node's identity for the edges: itself and its parent chain's names
    # would be needed for identical nodes; its content is enough here.
    edge_set = collections.Counter(
        (nodes.get(s, "(no node)"), nodes.get(d, "(no node)"), label, dotted)
        for s, d, label, dotted in edges)
    return collections.Counter(nodes.values()), edge_set, legend


def main():
    pn, pe, pl = parse(sys.argv[1])
    # pprof draws an edge to a node it left out of the graph (all values 0,
    # possible with -mean) as one to "N0", a node that is not there; cprof
    # leaves such edges out.
    for k in [k for k in pe if "(no node)" in k[:2]]:
        del pe[k]
    cn, ce, cl = parse(sys.argv[2])
    bad = False
    if pl != cl:
        print("legend differs:\n  pprof: %s\n  cprof: %s" % (pl, cl))
        bad = True
    for what, p, c in (("node", pn, cn), ("edge", pe, ce)):
        for k in sorted(set(p) | set(c), key=repr):
            if p[k] != c[k]:
                print("%s %r: pprof %d, cprof %d" % (what, k, p[k], c[k]))
                bad = True
    if not pn:
        print("no nodes in %s" % sys.argv[1])
        bad = True
    print("%d nodes, %d edges%s" % (sum(cn.values()), sum(ce.values()), " DIFFER" if bad else " same"))
    sys.exit(1 if bad else 0)


main()
