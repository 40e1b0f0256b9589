#!/usr/bin/env python3
"""flame_compare.py PPROF.html CPROF.svg: cprof's flame graph has the values
of go tool pprof's web flame graph (/flamegraph, its call tree as JSON).

Every frame of cprof's SVG (a <g data-value> nested in its caller's) is
found in pprof's tree by its path of names from the root, and its value
(data-value) is pprof's "v" for that node (with -mean, the mean); the root
("all" in cprof, "root" in pprof) too. Frames cprof left out for being under
0.1 pixel are not looked for. Exits 1 on the first difference.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def pprof_tree(path):
    html = open(path, encoding="utf-8").read()
    lit = re.search(r'var data = JSON\.parse\("((?:[^"\\]|\\.)*)"\)', html).group(1)
    data = json.loads(json.loads('"' + lit + '"'))
    values = {}

    def walk(node, prefix):
        key = prefix + (node["f"],)
        values.setdefault(key, []).append(node["v"])
        for c in node.get("c") or []:
            walk(c, key)

    walk(data, ())
    return values


def main():
    want = pprof_tree(sys.argv[1])
    root = next(ET.parse(sys.argv[2]).getroot().iter(NS + "g"))
    checked = 0
    stack = [(root, ("root",))]
    while stack:
        g, key = stack.pop()
        if key not in want:
            sys.exit("frame %s is not in pprof's flame graph" % " > ".join(key))
        v = int(g.attrib["data-value"])
        if v not in want[key]:
            sys.exit("frame %s: cprof %d, pprof %s" % (" > ".join(key), v, want[key]))
        checked += 1
        for c in g.findall(NS + "g"):
            name = c.find(NS + "title").text
            name = name[: name.rindex(" (")]
            stack.append((c, key + (name,)))
    print("flame graph: %d frames as in pprof (of %d)" % (checked, len(want)))


main()
