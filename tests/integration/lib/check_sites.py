#!/usr/bin/env python3
"""Check `go tool pprof -top -lines -unit=B` output against known site truths.

usage: check_sites.py TOPFILE SITE=EXPECTED_BYTES[:TOLERANCE] ...
  SITE is a function name; its flat value (summed over lines) must be within
  TOLERANCE (default 0.10) of EXPECTED_BYTES. EXPECTED 0 means "near zero":
  below 1 % of the largest site's truth.
  --file-line SITE=FILE:LINE requires that line to appear for the site.
"""
import re
import sys


def parse(path):
    flat = {}
    lines = {}
    for raw in open(path):
        m = re.match(r"\s*(-?[\d.]+)B?\s+-?[\d.]+%\s+-?[\d.]+%\s+(-?[\d.]+)B?\s+-?[\d.]+%\s+(\S+)(?:\s+(\S+))?", raw)
        if not m:
            continue
        fn = m.group(3)
        flat[fn] = flat.get(fn, 0.0) + float(m.group(1))
        if m.group(4):
            lines.setdefault(fn, set()).add(m.group(4))
    return flat, lines


def main():
    flat, lines = parse(sys.argv[1])
    truths = {}
    ok = True
    args = sys.argv[2:]
    i = 0
    while i < len(args):
        if args[i] == "--file-line":
            site, where = args[i + 1].split("=", 1)
            have = lines.get(site, set())
            if not any(w.endswith(where) for w in have):
                print(f"{site}: expected a line {where}, got {sorted(have)}")
                ok = False
            else:
                print(f"{site}: {where} ok")
            i += 2
            continue
        site, spec = args[i].split("=", 1)
        tol = 0.10
        if ":" in spec:
            spec, t = spec.split(":")
            tol = float(t)
        truths[site] = (float(spec), tol)
        i += 1
    biggest = max([t for t, _ in truths.values()] + [1])
    for site, (truth, tol) in truths.items():
        got = flat.get(site, 0.0)
        if truth == 0:
            good = got < 0.01 * biggest
            print(f"{site}: {got:.0f} (truth ~0) {'ok' if good else 'BAD'}")
        else:
            err = (got - truth) / truth
            good = abs(err) <= tol
            print(f"{site}: {got:.0f} vs {truth:.0f} ({err:+.2%}, allowed ±{tol:.0%}) {'ok' if good else 'BAD'}")
        ok = ok and good
    sys.exit(0 if ok else 1)


main()
