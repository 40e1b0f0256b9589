"""Checks a cprof flame graph SVG against the folded stacks of the same report.

usage: cprof_svg_check.py SVG COLLAPSED [NAME...]
- the SVG is well-formed XML (xml.etree parses it);
- the root frame ("all") is worth the sum of the folded stacks (the total);
- every frame is worth at least the sum of its children (nesting = call tree);
- each NAME has a <title>, and its frames (outermost occurrences, so
  recursion counts once) add up to the weight of the stacks through it.
"""
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def frames(svg):
    return [g for g in svg.iter(NS + "g") if "data-value" in g.attrib]


def title_name(g):
    t = g.find(NS + "title").text
    m = re.match(r"^(.*) \(([^()]*)\)$", t)
    assert m, "title without (value, percent): %r" % t
    assert "%" in m.group(2), "title without percent: %r" % t
    return m.group(1)


def outer_sum(g, name, inside=False):
    here = title_name(g) == name and not inside
    total = int(g.attrib["data-value"]) if here else 0
    for c in g.findall(NS + "g"):
        total += outer_sum(c, name, inside or title_name(g) == name)
    return total


def main():
    svg = ET.parse(sys.argv[1]).getroot()
    stacks = []
    for line in open(sys.argv[2]):
        stack, weight = line.rstrip("\n").rsplit(" ", 1)
        stacks.append((stack.split(";"), int(weight)))
    total = sum(w for _, w in stacks)
    all_frames = frames(svg)
    assert all_frames, "no frames"
    root = all_frames[0]
    assert title_name(root) == "all", "first frame is not the root"
    assert int(root.attrib["data-value"]) == total, "root %s != total %d" % (
        root.attrib["data-value"], total)
    for g in all_frames:
        kids = sum(int(c.attrib["data-value"]) for c in g.findall(NS + "g"))
        assert abs(kids) <= abs(int(g.attrib["data-value"])), "children exceed %s" % title_name(g)
    titles = {title_name(g) for g in all_frames}
    for name in sys.argv[3:]:
        assert name in titles, "%s has no frame" % name
        want = sum(w for s, w in stacks if name in s)
        got = outer_sum(root, name)
        # Frames under 0.1 px are left out: allow a hair of the total.
        assert abs(want - got) <= abs(total) * 0.002, "%s: frames %d, stacks %d" % (name, got, want)
    print("svg ok: %d frames, total %d" % (len(all_frames), total))


main()
