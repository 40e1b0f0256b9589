#!/usr/bin/env python3
"""Write malformed profiles for the cprof decoder tests.

usage: cprof_badfiles.py GOOD_PROFILE OUTDIR
  Writes one file per kind of damage into OUTDIR (names say what is wrong),
  and OUTDIR/fuzz/NNN: random mutations and truncations of GOOD_PROFILE's
  decompressed bytes, some of them gzip-compressed again.
"""
import gzip
import os
import random
import sys


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def msg(num, *parts):
    return field(num, 2, b"".join(parts))


def strings(*ss):
    return b"".join(field(6, 2, s.encode()) for s in ss)


STRS = strings("", "samples", "count", "main")
SAMPLE_TYPE = msg(1, field(1, 0, 1), field(2, 0, 2))
FUNCTION = msg(5, field(1, 0, 1), field(2, 0, 3))
LOCATION = msg(4, field(1, 0, 1), msg(4, field(1, 0, 1)))
SAMPLE = msg(2, field(1, 0, 1), field(2, 0, 5))
GOOD = SAMPLE_TYPE + SAMPLE + LOCATION + FUNCTION + STRS


def crafted():
    return {
        "bad_varint.pb": SAMPLE_TYPE + b"\x12" + b"\xff" * 11,
        "truncated_varint.pb": SAMPLE_TYPE + b"\x12\x04\x08\xff\xff",
        "string_index.pb": msg(1, field(1, 0, 99), field(2, 0, 2)) + STRS,
        "negative_string_index.pb": msg(1, field(1, 0, (1 << 64) - 5)) + STRS,
        "location_id.pb": SAMPLE_TYPE + msg(2, field(1, 0, 7), field(2, 0, 5)) + LOCATION
        + FUNCTION + STRS,
        "function_id.pb": SAMPLE_TYPE + SAMPLE + msg(4, field(1, 0, 1), msg(4, field(1, 0, 9)))
        + FUNCTION + STRS,
        "mapping_id.pb": SAMPLE_TYPE + SAMPLE + msg(4, field(1, 0, 1), field(2, 0, 4))
        + FUNCTION + STRS,
        "zero_id.pb": SAMPLE_TYPE + FUNCTION + msg(4, field(2, 0, 0)) + STRS,
        "duplicate_id.pb": GOOD + FUNCTION,
        "huge_length.pb": SAMPLE_TYPE + b"\x12" + varint(0xFFFFFFFFFF),
        "huge_length_2.pb": SAMPLE_TYPE + b"\x12" + varint((1 << 63) + 12345) + b"\x08\x01",
        "huge_nested_length.pb": SAMPLE_TYPE + msg(2, b"\x1a" + varint(1 << 40)) + STRS,
        "wire_type.pb": field(1, 0, 1) + STRS,
        "group_wire_type.pb": b"\x0b\x0c" + STRS,
        "value_count.pb": SAMPLE_TYPE + msg(2, field(1, 0, 1), field(2, 0, 5), field(2, 0, 6))
        + LOCATION + FUNCTION + STRS,
        "no_sample_types.pb": SAMPLE + LOCATION + FUNCTION + STRS,
        "no_string_table.pb": SAMPLE_TYPE + SAMPLE + LOCATION + FUNCTION,
        "string_table_0.pb": SAMPLE_TYPE + strings("x", "samples", "count", "main"),
        "field_zero.pb": b"\x02\x00" + GOOD,
        "packed_truncated.pb": SAMPLE_TYPE + msg(2, field(1, 2, b"\x01\x82")) + STRS,
        "empty.pb": b"",
        "text.txt": b"hello, this is not a profile\nat all\n",
        "random.bin": random.Random(1).randbytes(4096),
        "gzip_of_text.pb.gz": gzip.compress(b"this is not a profile\n" * 40),
        "gzip_of_bad_varint.pb.gz": gzip.compress(SAMPLE_TYPE + b"\x12" + b"\xff" * 11),
        "gzip_empty.pb.gz": gzip.compress(b""),
    }


def main():
    good_path, out = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(out, "fuzz"), exist_ok=True)
    data = open(good_path, "rb").read()
    raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    files = crafted()
    files["good_crafted.pb"] = GOOD
    files["truncated.pb.gz"] = data[: len(data) // 2]
    files["truncated_header.pb.gz"] = data[:5]
    corrupt = bytearray(data)
    for i in range(len(corrupt) // 3, len(corrupt) // 3 + 64):
        corrupt[i] ^= 0x5A
    files["corrupt.pb.gz"] = bytes(corrupt)
    files["truncated_raw.pb"] = raw[: len(raw) * 2 // 3]
    for name, content in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(content)
    rng = random.Random(20261123)
    for i in range(300):
        m = bytearray(raw)
        kind = i % 3
        if kind == 0:  # flip a few bytes
            for _ in range(rng.randrange(1, 8)):
                m[rng.randrange(len(m))] = rng.randrange(256)
        elif kind == 1:  # cut
            m = m[: rng.randrange(len(m))]
        else:  # splice a random chunk somewhere else
            a = rng.randrange(len(m))
            b = min(len(m), a + rng.randrange(1, 64))
            at = rng.randrange(len(m))
            m[at:at] = m[a:b]
        content = bytes(m)
        if i % 5 == 0:
            content = gzip.compress(content)
        with open(os.path.join(out, "fuzz", "%03d" % i), "wb") as f:
            f.write(content)


if __name__ == "__main__":
    main()
