#!/usr/bin/env python3
"""compare_addr2line.py HEAP_DEBUG1.txt MAPS BIN ADDR2LINE_OUT_PREFIX

Compares cprof's frames in a /debug/pprof/heap?debug=1 reply with what
`addr2line -i -f -e BIN` says for the same addresses: every address of BIN
that appears in the profile, function names and file:line of every inline
frame, in order. MAPS is a copy of the process's /proc/PID/maps (to turn
process addresses into BIN's addresses).

Writes PREFIX.addrs (BIN's addresses, one per line, hex) and runs addr2line
on them. Prints "compared N addresses, M mismatches" and the first
mismatches; exits 1 when any address differs or none was compared.
Used by tests/integration/symbolize_vs_addr2line.sh and bench/symbolize.sh.
"""
import os
import re
import subprocess
import sys


def binary_span(maps_path, binary):
    """(load base, end of the last mapping) of binary in the process"""
    real = os.path.realpath(binary)
    base, end = None, 0
    for line in open(maps_path):
        parts = line.split()
        if len(parts) < 6 or os.path.realpath(parts[5]) != real:
            continue
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        if int(parts[2], 16) == 0 and base is None:
            base = lo
        end = max(end, hi)
    if base is None:
        sys.exit("%s is not mapped in %s" % (binary, maps_path))
    return base, end


def cprof_frames(text_path):
    """{process address: [(function, file, line), ...] innermost first}"""
    frames = {}
    order = []
    frame_re = re.compile(r"^#\t0x([0-9a-f]+)\t(\S+?)(?:\+0x[0-9a-f]+)?\t(.*):(\d+)$")
    for line in open(text_path):
        m = frame_re.match(line.rstrip("\n"))
        if not m:
            continue
        addr = int(m.group(1), 16)
        entry = (m.group(2), m.group(3), int(m.group(4)))
        if addr not in frames:
            frames[addr] = []
            order.append(addr)
        frames[addr].append(entry)
    return frames, order


def main():
    text, maps, binary, prefix = sys.argv[1:5]
    base, end = binary_span(maps, binary)
    frames, order = cprof_frames(text)
    # The same address may appear in several stacks: keep one stack's chain
    # (the chain is a property of the address, so all copies are equal).
    chains = {}
    for addr in order:
        lines = frames[addr]
        # a chain repeats as a whole each time the address appears
        n = len(lines)
        for k in range(1, n + 1):
            if n % k == 0 and lines[:k] * (n // k) == lines:
                chains[addr] = lines[:k]
                break
    ours = [a for a in order if base <= a < end and a in chains]
    with open(prefix + ".addrs", "w") as f:
        for a in ours:
            f.write("%x\n" % (a - base))
    # -a prints each address before its frames, which separates them.
    sep = subprocess.run(["addr2line", "-i", "-f", "-a", "-e", binary],
                         stdin=open(prefix + ".addrs"), capture_output=True, text=True,
                         check=True).stdout
    theirs = {}
    current = None
    lines = sep.split("\n")
    i = 0
    while i < len(lines):
        l = lines[i]
        if l.startswith("0x"):
            current = int(l, 16) + base
            theirs[current] = []
            i += 1
            continue
        if current is None or i + 1 >= len(lines):
            i += 1
            continue
        func, where = l, lines[i + 1]
        where = re.sub(r" \(discriminator \d+\)$", "", where)
        file, _, lineno = where.rpartition(":")
        theirs[current].append((func, file, int(lineno) if lineno.isdigit() else 0))
        i += 2
    mismatches = []
    for a in ours:
        want = [(f, fl if fl != "??" else "?", ln) for f, fl, ln in theirs.get(a, [])]
        got = chains[a]
        if got != want:
            mismatches.append((a - base, got, want))
    print("compared %d addresses, %d mismatches" % (len(ours), len(mismatches)))
    for off, got, want in mismatches[:10]:
        print("  0x%x\n    cprof:     %s\n    addr2line: %s" % (off, got, want))
    sys.exit(1 if mismatches or not ours else 0)


if __name__ == "__main__":
    main()
