#!/usr/bin/env python3
"""Checks of /debug/pprof/trace documents (Chrome Trace Event JSON), for the
trace tests. Subcommands:

  schema FILE             every event against the fields docs/TRACE.md lists;
                          slices of one track nest; prints a one-line summary
  shares FILE F...        ms of CPU slices of each function F (any depth) and
                          its share among them, one "F MS SHARE" line each
  created FILE            one "TID NAME CREATOR_FRAMES..." line per thread
                          created during the trace
  spans FILE NAME         "TID COUNT" per thread with COUNT spans named NAME
  states FILE TID         the state names of thread TID's state track
  frames FILE             every distinct CPU frame name, one a line
Exit status 1 with a reason on stderr when the document is invalid.
"""
import collections
import gzip
import json
import sys

PHASES = {"X", "i", "C", "M"}
META = {"process_name", "thread_name", "thread_sort_index"}
OTHER_KEYS = {"format", "comment", "pid", "start_time_unix_ns", "duration_ns", "hz",
              "lost_samples", "dropped_span_events", "dropped_thread_events",
              "profiler_cpu_ns", "symbolized", "state_track_offset", "span_track_offset"}


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data.decode("utf-8"))  # strict: invalid UTF-8 fails


def bad(msg):
    print("trace_check: " + msg, file=sys.stderr)
    sys.exit(1)


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def schema(doc):
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        bad("no traceEvents array")
    other = doc.get("otherData")
    if not isinstance(other, dict) or set(other) != OTHER_KEYS:
        bad("otherData keys: %s" % sorted(other or {}))
    if "not Go's execution trace" not in other["format"]:
        bad("format does not say what it is")
    dur_us = other["duration_ns"] / 1000.0
    pid = other["pid"]
    slices = collections.defaultdict(list)
    names = {}
    counts = collections.Counter()
    for k, e in enumerate(doc["traceEvents"]):
        where = "event %d %s" % (k, json.dumps(e)[:200])
        if not isinstance(e, dict):
            bad(where + ": not an object")
        ph = e.get("ph")
        if ph not in PHASES:
            bad(where + ": ph")
        if not isinstance(e.get("name"), str) or not e["name"]:
            bad(where + ": name")
        if e.get("pid") != pid or not isinstance(e.get("tid"), int) or e["tid"] <= 0:
            bad(where + ": pid/tid")
        if not num(e.get("ts")):
            bad(where + ": ts")
        allowed = {"ph", "name", "pid", "tid", "ts", "cat", "args"}
        if ph == "X":
            allowed |= {"dur"}
            if not num(e.get("dur")) or e["dur"] < 0:
                bad(where + ": dur")
            if e["ts"] < 0 or e["ts"] + e["dur"] > dur_us + 1:
                bad(where + ": outside the window (%.3f us)" % dur_us)
            if e.get("cat") not in ("cpu", "state", "span"):
                bad(where + ": cat")
            slices[e["tid"]].append((e["ts"], e["dur"], e["name"]))
        elif ph == "i":
            allowed |= {"s"}
            if e.get("s") not in ("t", "p", "g"):
                bad(where + ": s")
            if e.get("cat") not in ("thread", "event"):
                bad(where + ": cat")
            if e["name"] == "thread created":
                a = e.get("args", {})
                if not isinstance(a.get("creator_tid"), int) or not isinstance(a.get("creator_stack"), list):
                    bad(where + ": creator args")
        elif ph == "C":
            a = e.get("args")
            if not isinstance(a, dict) or not a or not all(num(v) and v >= 0 for v in a.values()):
                bad(where + ": counter args")
        elif ph == "M":
            if e["name"] not in META or not isinstance(e.get("args"), dict):
                bad(where + ": metadata")
            if e["name"] == "thread_name":
                names[e["tid"]] = e["args"].get("name")
        if set(e) - allowed:
            bad(where + ": unknown fields %s" % sorted(set(e) - allowed))
        counts[ph] += 1
    for tid, ss in slices.items():
        if tid not in names:
            bad("track %d has slices but no thread_name" % tid)
        ss.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for ts, dur, name in ss:
            while stack and stack[-1] <= ts + 0.001:
                stack.pop()
            if stack and ts + dur > stack[-1] + 0.001:
                bad("track %d: slice %s at %.3f overlaps its parent" % (tid, name, ts))
            stack.append(ts + dur)
    print("ok: %d events (%s), %d named tracks" % (
        len(doc["traceEvents"]), " ".join("%s=%d" % kv for kv in sorted(counts.items())), len(names)))


def cpu_slices(doc):
    return [e for e in doc["traceEvents"] if e["ph"] == "X" and e.get("cat") == "cpu"]


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    doc = load(path)
    if cmd == "schema":
        schema(doc)
    elif cmd == "shares":
        ms = collections.Counter()
        for e in cpu_slices(doc):
            if e["name"] in sys.argv[3:]:
                ms[e["name"]] += e["dur"] / 1000.0
        total = sum(ms.values()) or 1
        for f in sys.argv[3:]:
            print("%s %.3f %.2f" % (f, ms[f], 100.0 * ms[f] / total))
    elif cmd == "created":
        names = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"]
                 if e["ph"] == "M" and e["name"] == "thread_name"}
        for e in doc["traceEvents"]:
            if e["ph"] == "i" and e["name"] == "thread created":
                name = names.get(e["tid"], "?").rsplit(" (", 1)[0]
                print(e["tid"], name, " ".join(e["args"]["creator_stack"]))
    elif cmd == "spans":
        off = doc["otherData"]["span_track_offset"]
        n = collections.Counter(e["tid"] - off for e in doc["traceEvents"]
                                if e["ph"] == "X" and e.get("cat") == "span" and e["name"] == sys.argv[3])
        for tid, c in sorted(n.items()):
            print(tid, c)
    elif cmd == "states":
        off = doc["otherData"]["state_track_offset"]
        tid = int(sys.argv[3]) + off
        print(" ".join(sorted({e["name"] for e in doc["traceEvents"]
                               if e["ph"] == "X" and e.get("cat") == "state" and e["tid"] == tid})))
    elif cmd == "frames":
        for n in sorted({e["name"] for e in cpu_slices(doc)}):
            print(n)
    else:
        bad("unknown command " + cmd)


if __name__ == "__main__":
    main()
