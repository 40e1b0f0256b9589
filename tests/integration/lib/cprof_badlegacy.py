#!/usr/bin/env python3
"""Write malformed and hostile non-proto profiles for cprof_formats_malformed.sh.

usage: cprof_badlegacy.py OUTDIR SEED...
  OUTDIR/bad/NAME: one file per kind of damage (the test knows the message
  each must give); OUTDIR/big/NAME: well-formed but hostile sizes (must work
  or fail cleanly, within time and memory); OUTDIR/fuzz/NNN: random
  mutations and cuts of the SEED files (real profiles written by the tools).
"""
import os
import random
import struct
import sys


def cpu(words, fmt="<Q"):
    return b"".join(struct.pack(fmt, w) for w in words)


HDR = [0, 3, 0, 10000, 0]

BAD = {
    "heap_bad_sample.heap": b"heap profile: 1: 2 [3: 4] @ heapprofile\ngarbage here\n",
    "heap_zero_count.heap": b"heap profile: 1: 2 [1: 2] @ heap/1048576\n0: 100 [0: 0] @ 0x1\n",
    "heap_int_overflow.heap": b"heap profile: 1: 2 [1: 2] @ heapprofile\n"
    b"99999999999999999999: 1 [1: 1] @ 0x1\n",
    "heap_addr_overflow.heap": b"heap profile: 1: 2 [1: 2] @ heapprofile\n"
    b"1: 2 [1: 2] @ 0x11111111111111111\n",
    "heap_scale_overflow.heap": b"heap profile: 1: 2 [1: 2] @ heap_v2/1000000000\n"
    b"9000000000000000000: 9000000000000000000 [0: 0] @ 0x1\n",
    "cpu_truncated.prof": cpu(HDR + [1, 1000]),
    "cpu_huge_depth.prof": cpu(HDR + [1, 1 << 62, 0x400000]),
    "cpu_count_overflow.prof": cpu(HDR + [1 << 63, 1, 0x400000, 0, 1, 0]),
    "cpu_java.prof": cpu([0, 3, 1, 10000, 0]),
    "jemalloc_bad_rate.heap": b"heap_v2/x\n",
    "jemalloc_bad_line.heap": b"heap_v2/524288\n@ 0x1 0x2\nnot a thread line\n",
    "jemalloc_bad_stack.heap": b"heap_v2/524288\n@ zz\n  t*: 1: 2 [0: 0]\n",
    "count_bad.txt": b"# a comment\ngoroutine profile: total 1\n1 @ 0xZZ\n",
    "count_long_name.txt": b"x" * 200 + b" profile: total 1\n1 @ 0x1\n",
    "contention_bad.txt": b"--- mutex:\ncycles/second=1000\nsampling period=1\n12 x @ 0x1\n",
    "contention_overflow.txt": b"--- mutex:\nsampling period=1000000000000\n"
    b"1 9999999999 @ 0x1\n",
    "collapsed_bad.folded": b"main;a 1\nmain;b\n",
    "collapsed_control.folded": b"main;a 1\nmain;\x01b 2\n",
}
MESSAGES = {
    "heap_bad_sample.heap": "heap profile line 2",
    "heap_zero_count.heap": "inuse count was 0 but inuse bytes was 100",
    "heap_int_overflow.heap": "heap profile line 2",
    "heap_addr_overflow.heap": "address out of range",
    "heap_scale_overflow.heap": "value out of range",
    "cpu_truncated.prof": "truncated or corrupt sample record",
    "cpu_huge_depth.prof": "truncated or corrupt sample record",
    "cpu_count_overflow.prof": "sample count out of range",
    "cpu_java.prof": "Java CPU profiles are not supported",
    "jemalloc_bad_rate.heap": "bad sampling rate",
    "jemalloc_bad_line.heap": "jemalloc heap profile line 3",
    "jemalloc_bad_stack.heap": "jemalloc heap profile line 2: bad stack",
    "count_bad.txt": "goroutine profile: malformed line 3",
    "count_long_name.txt": "profile name too long",
    "contention_bad.txt": "malformed sample line",
    "contention_overflow.txt": "count out of range",
    "collapsed_bad.folded": "collapsed stacks line 2",
    "collapsed_control.folded": "collapsed stacks line 2",
}


def big():
    rng = random.Random(7)
    out = {}
    # one collapsed stack of 200,000 frames (deep, 1.4 MB line)
    out["deep.folded"] = (";".join("f%d" % i for i in range(200000)) + " 5\n").encode()
    # 100,000 distinct collapsed stacks
    out["wide.folded"] = "".join("main;w%d;leaf%d %d\n" % (i % 1000, i, i + 1)
                                 for i in range(100000)).encode()
    # one heap sample with 300,000 addresses
    out["long_stack.heap"] = (b"heap profile: 1: 2 [1: 2] @ heapprofile\n1: 2 [1: 2] @"
                              + b"".join(b" 0x%x" % (0x400000 + i) for i in range(300000)) + b"\n")
    # 50,000 CPU records of random depth, then a maps trailer
    words = list(HDR)
    for _ in range(50000):
        d = rng.randrange(1, 20)
        words += [rng.randrange(1, 100), d] + [0x400000 + rng.randrange(4096) for _ in range(d)]
    words += [0, 1, 0]
    out["many.prof"] = cpu(words) + b"00400000-00500000 r-xp 00000000 00:00 0 /nonexistent/prog\n"
    # a memory map of 100,000 lines
    out["maps.heap"] = (b"heap profile: 1: 2 [1: 2] @ heapprofile\n1: 2 [1: 2] @ 0x401000\n"
                        b"MAPPED_LIBRARIES:\n"
                        + b"".join(b"%x-%x r-xp 00000000 00:00 0 /lib%d.so\n"
                                   % (0x10000000 + i * 0x2000, 0x10001000 + i * 0x2000, i)
                                   for i in range(100000)))
    return out


def main():
    out, seeds = sys.argv[1], sys.argv[2:]
    for d in ("bad", "big", "fuzz"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    for name, content in BAD.items():
        open(os.path.join(out, "bad", name), "wb").write(content)
    with open(os.path.join(out, "messages"), "w") as f:
        for name, msg in MESSAGES.items():
            f.write("%s\t%s\n" % (name, msg))
    for name, content in big().items():
        open(os.path.join(out, "big", name), "wb").write(content)
    rng = random.Random(20261204)
    n = 0
    for seed in seeds:
        data = open(seed, "rb").read()
        for i in range(60):
            m = bytearray(data)
            kind = i % 3
            if kind == 0:
                for _ in range(rng.randrange(1, 8)):
                    m[rng.randrange(len(m))] = rng.randrange(256)
            elif kind == 1:
                m = m[: rng.randrange(len(m))]
            else:
                a = rng.randrange(len(m))
                b = min(len(m), a + rng.randrange(1, 64))
                at = rng.randrange(len(m))
                m[at:at] = m[a:b]
            open(os.path.join(out, "fuzz", "%04d" % n), "wb").write(bytes(m))
            n += 1


if __name__ == "__main__":
    main()
