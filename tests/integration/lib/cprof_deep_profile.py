#!/usr/bin/env python3
"""cprof_deep_profile.py DEPTH OUT [PREFIX] — writes a CPU profile.proto (gzipped)
whose one sample is a DEPTH-frame stack of distinct functions f0 (root) ..
f<DEPTH-1> (leaf) (each name preceded by PREFIX when given), plus a second 3-frame sample, for the deep-stack tests:
every report must handle it without recursion on the C stack."""
import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cprof_badfiles import field, varint  # noqa: E402  (the wire encoding)


def field_varint(num, v):
    return field(num, 0, v)


def field_bytes(num, data):
    return field(num, 2, data)


def main():
    depth, path = int(sys.argv[1]), sys.argv[2]
    strings = ["", "samples", "count", "cpu", "nanoseconds", "deep.c", "/usr/bin/deep"]
    first = len(strings)
    prefix = sys.argv[3] if len(sys.argv) > 3 else ""
    strings += ["%sf%d" % (prefix, i) for i in range(depth)]
    out = bytearray()
    for t, u in ((1, 2), (3, 4)):
        out += field_bytes(1, field_varint(1, t) + field_varint(2, u))
    mapping = (field_varint(1, 1) + field_varint(2, 0x400000) +
               field_varint(3, 0x400000 + 16 * depth + 4096) + field_varint(5, 6) +
               field_varint(7, 1) + field_varint(8, 1))
    out += field_bytes(3, mapping)
    for i in range(depth):
        fid = i + 1
        out += field_bytes(5, field_varint(1, fid) + field_varint(2, first + i) +
                           field_varint(3, first + i) + field_varint(4, 5) +
                           field_varint(5, 10 + i))
        line = field_varint(1, fid) + field_varint(2, 10 + i)
        out += field_bytes(4, field_varint(1, fid) + field_varint(2, 1) +
                           field_varint(3, 0x400000 + 16 * fid) + field_bytes(4, line))
    # Sample 1: the deep stack, leaf first (location ids depth..1).
    locs = b"".join(varint(i) for i in range(depth, 0, -1))
    vals = varint(5) + varint(50000000)
    out += field_bytes(2, field_bytes(1, locs) + field_bytes(2, vals))
    # Sample 2: a short stack f2 <- f1 <- f0.
    locs = b"".join(varint(i) for i in (3, 2, 1))
    vals = varint(1) + varint(10000000)
    out += field_bytes(2, field_bytes(1, locs) + field_bytes(2, vals))
    for s in strings:
        out += field_bytes(6, s.encode())
    out += field_varint(9, 1700000000000000000) + field_varint(10, 1000000000)
    out += field_bytes(11, field_varint(1, 3) + field_varint(2, 4))
    out += field_varint(12, 10000000)
    with open(path, "wb") as f:
        f.write(gzip.compress(bytes(out)))


main()
