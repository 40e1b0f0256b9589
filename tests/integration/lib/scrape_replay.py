#!/usr/bin/env python3
"""Replays a profiling scraper's default job against one target and checks
every response by the scraper's own rules.

usage: scrape_replay.py BASE_URL alloy|parca INTERVAL ROUNDS [--token T]
                        [--log FILE]

BASE_URL is http://HOST:PORT (the target, no path). INTERVAL is the scrape
interval in whole seconds (Alloy's default 15, Parca's 10; tests shorten
it), ROUNDS how many times each profile is scraped.

The jobs, as the scrapers define them (grafana/alloy
internal/component/pyroscope/scrape/scrape.go and scrape_loop.go;
parca-dev/parca pkg/config/config.go and pkg/scrape/):
  - five profiles, each its own loop: memory = /debug/pprof/allocs, block,
    goroutine, mutex, process_cpu = /debug/pprof/profile with ?seconds=;
  - Alloy: seconds = interval - 1 (delta_profiling_duration, 14 s for the
    15 s default); scrape_timeout 10 s, plus interval - 1 s for a request
    that has seconds (24 s by default); User-Agent "Alloy/vX (linux;
    binary)"; success is a 2xx with a non-empty body whose Content-Type
    starts with application/octet-stream and is no HTML/JSON text;
  - Parca: seconds = interval; scrape_timeout interval + 3 s; User-Agent
    "conprof/VERSION"; success is exactly 200 with a non-empty body;
  - both use Prometheus's HTTP client: keep-alive, compression off (no
    Accept-Encoding), no Accept header; a bearer token when configured.
Each loop starts at an offset within the interval and then ticks every
interval (a scrape longer than the interval starts the next one at once,
as a Go ticker does).

Every response must also follow the profile rules both ingest paths rely
on: Go's Content-Disposition; gzip'd profile.proto that decodes, with
string_table[0] empty; Go's sample and period types for each profile;
time_nanos the collection time (between the request's start and its end,
1 s slack); duration_nanos the window on the CPU profile (its ?seconds=)
and 0 on the snapshots; a CPU profile served after its window and within
the timeout. Alloy diffs allocs (alloc_objects, alloc_space), mutex and
block (both values) per stack itself: every such delta between consecutive
scrapes of one loop must be >= 0 (a stack that disappears is a negative
delta too), and over the run the helper's stacks (alloc_churn,
contend_lock, wait_cond/wait_sem) must grow.

Prints one line per scrape; problems to stderr; exits 1 if any."""
import argparse
import gzip
import http.client
import sys
import threading
import time
import urllib.parse

ALLOY_UA = "Alloy/v1.11.3 (linux; binary)"
PARCA_UA = "conprof/v0.24.2"

SAMPLE_TYPES = {
    "allocs": [("alloc_objects", "count"), ("alloc_space", "bytes"),
               ("inuse_objects", "count"), ("inuse_space", "bytes")],
    "block": [("contentions", "count"), ("delay", "nanoseconds")],
    "mutex": [("contentions", "count"), ("delay", "nanoseconds")],
    "goroutine": [("goroutine", "count")],
    "profile": [("samples", "count"), ("cpu", "nanoseconds")],
}
PERIOD_TYPES = {
    "allocs": ("space", "bytes"),
    "block": ("contentions", "count"),
    "mutex": ("contentions", "count"),
    "goroutine": ("goroutine", "count"),
    "profile": ("cpu", "nanoseconds"),
}
# Which values Alloy's delta appender diffs (the others pass through).
DIFFED = {"allocs": (0, 1), "mutex": (0, 1), "block": (0, 1)}
# The helper's growing stacks: the profile must show them growing.
GROWS = {"allocs": ("alloc_churn",), "mutex": ("contend_lock",),
         "block": ("wait_cond", "wait_sem")}


# ---------------------------------------------------------------- protobuf

def varint(buf, i):
    v = shift = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        if not b & 0x80:
            return v, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(buf):
    """The (number, wire type, value) of each field of a message."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 2:
            n, i = varint(buf, i)
            if i + n > len(buf):
                raise ValueError("field %d overruns its message" % num)
            v = buf[i:i + n]
            i += n
        elif wt == 1:
            v = int.from_bytes(buf[i:i + 8], "little")
            i += 8
        elif wt == 5:
            v = int.from_bytes(buf[i:i + 4], "little")
            i += 4
        else:
            raise ValueError("illegal wire type %d" % wt)
        yield num, wt, v


def ints(wt, v):
    """A repeated integer field's values, packed or not."""
    if wt == 0:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def decode(data):
    """profile.proto bytes -> dict (only what the checks need)."""
    p = {"sample_type": [], "samples": [], "strings": [], "locations": {},
         "functions": {}, "time_nanos": 0, "duration_nanos": 0, "period_type": None}
    for num, wt, v in fields(data):
        if num == 1:
            t = dict((n, x) for n, _, x in fields(v))
            p["sample_type"].append((t.get(1, 0), t.get(2, 0)))
        elif num == 2:
            s = {"locs": [], "values": [], "labels": []}
            for n, w, x in fields(v):
                if n == 1:
                    s["locs"] += ints(w, x)
                elif n == 2:
                    s["values"] += [signed(y) for y in ints(w, x)]
                elif n == 3:
                    lab = dict((a, b) for a, _, b in fields(x))
                    s["labels"].append((lab.get(1, 0), lab.get(2, 0), lab.get(3, 0)))
            p["samples"].append(s)
        elif num == 4:
            loc = {"id": 0, "address": 0, "funcs": []}
            for n, _, x in fields(v):
                if n == 1:
                    loc["id"] = x
                elif n == 3:
                    loc["address"] = x
                elif n == 4:
                    line = dict((a, b) for a, _, b in fields(x))
                    loc["funcs"].append(line.get(1, 0))
            p["locations"][loc["id"]] = loc
        elif num == 5:
            f = dict((n, x) for n, _, x in fields(v))
            p["functions"][f.get(1, 0)] = f.get(2, 0)
        elif num == 6:
            p["strings"].append(v.decode("utf-8"))
        elif num == 9:
            p["time_nanos"] = signed(v)
        elif num == 10:
            p["duration_nanos"] = signed(v)
        elif num == 11:
            t = dict((n, x) for n, _, x in fields(v))
            p["period_type"] = (t.get(1, 0), t.get(2, 0))
    return p


def string(p, i):
    if not 0 <= i < len(p["strings"]):
        raise ValueError("string index %d out of range" % i)
    return p["strings"][i]


def stacks(p):
    """{(addresses, labels): values} — the stack identity Alloy's delta
    uses (locations by address, not by id, which may be renumbered)."""
    out = {}
    for s in p["samples"]:
        addrs = []
        for lid in s["locs"]:
            if lid not in p["locations"]:
                raise ValueError("sample refers to location %d, not in the profile" % lid)
            addrs.append(p["locations"][lid]["address"])
        labels = tuple(sorted((string(p, k), string(p, v), n) for k, v, n in s["labels"]))
        key = (tuple(addrs), labels)
        prev = out.get(key)
        out[key] = s["values"] if prev is None else [a + b for a, b in zip(prev, s["values"])]
    return out


def named_total(p, names, index):
    """The sum of value[index] over samples whose stack has one of names."""
    total = 0
    for s in p["samples"]:
        fnames = set()
        for lid in s["locs"]:
            for fid in p["locations"][lid]["funcs"]:
                fnames.add(string(p, p["functions"].get(fid, 0)))
        if fnames & set(names):
            total += s["values"][index]
    return total


# ---------------------------------------------------------------- scraping

def looks_like_text(body):
    """Alloy's isTextContent: an HTML page or a JSON document."""
    if len(body) < 10:
        return False
    b = body.lstrip(b" \t\r\n")
    if b[:1] == b"<" and (b[1:2] in (b"!", b"h", b"H", b"b", b"B", b"t", b"T")):
        return True
    return b[:1] in (b"{", b"[") and len(body) > 20


class Job:
    def __init__(self, scraper, name, path, query, timeout, seconds, ua, token):
        self.scraper, self.name, self.path, self.query = scraper, name, path, query
        self.timeout, self.seconds, self.ua, self.token = timeout, seconds, ua, token
        self.prev = None
        self.first = None
        self.last = None
        self.count = 0


def make_jobs(kind, interval, token):
    if kind == "alloy":
        seconds, timeout, ua = interval - 1, 10.0, ALLOY_UA
        cpu_timeout = timeout + interval - 1
    else:
        seconds, timeout, ua = interval, interval + 3.0, PARCA_UA
        cpu_timeout = timeout
    jobs = [
        Job(kind, "memory", "/debug/pprof/allocs", "", timeout, 0, ua, token),
        Job(kind, "block", "/debug/pprof/block", "", timeout, 0, ua, token),
        Job(kind, "goroutine", "/debug/pprof/goroutine", "", timeout, 0, ua, token),
        Job(kind, "mutex", "/debug/pprof/mutex", "", timeout, 0, ua, token),
        Job(kind, "process_cpu", "/debug/pprof/profile", "seconds=%d" % seconds, cpu_timeout,
            seconds, ua, token),
    ]
    return jobs


class Replay:
    def __init__(self, base, kind, interval, rounds, token, log):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.kind, self.interval, self.rounds = kind, interval, rounds
        self.jobs = make_jobs(kind, interval, token)
        self.log = log
        self.lock = threading.Lock()
        self.problems = []

    def problem(self, job, what):
        with self.lock:
            self.problems.append("%s %s scrape %d: %s" % (self.kind, job.name, job.count, what))

    def note(self, line):
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()

    def fetch(self, conn, job):
        """One request as the scraper sends it; (status, headers, body, t0, t1)."""
        target = job.path + ("?" + job.query if job.query else "")
        conn.timeout = job.timeout
        conn.putrequest("GET", target, skip_accept_encoding=True)
        conn.putheader("User-Agent", job.ua)
        if job.token:
            conn.putheader("Authorization", "Bearer " + job.token)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, resp, body

    def check(self, job, status, resp, body, t0, t1):
        name = job.path.rsplit("/", 1)[1]
        ok = True

        def bad(what):
            nonlocal ok
            ok = False
            self.problem(job, what)

        if t1 - t0 > job.timeout:
            bad("took %.1f s, past the %.0f s timeout" % (t1 - t0, job.timeout))
        if status != 200:  # Parca: exactly 200; Alloy: 2xx
            bad("status %d: %r" % (status, body[:200]))
            return None
        ctype = resp.getheader("Content-Type", "")
        if ctype != "application/octet-stream":
            bad("Content-Type %r" % ctype)
        disp = resp.getheader("Content-Disposition", "")
        if disp != 'attachment; filename="%s"' % name:
            bad("Content-Disposition %r" % disp)
        if not body:
            bad("empty body")
            return None
        if looks_like_text(body):
            bad("text body %r" % body[:50])
        if body[:2] != b"\x1f\x8b":
            bad("not gzip (%r)" % body[:4])
            return None
        try:
            p = decode(gzip.decompress(body))
            types = [(string(p, t), string(p, u)) for t, u in p["sample_type"]]
            period = p["period_type"] and (string(p, p["period_type"][0]),
                                           string(p, p["period_type"][1]))
            st = stacks(p)
        except (ValueError, OSError, EOFError, UnicodeDecodeError) as e:
            bad("does not decode: %s" % e)
            return None
        if not p["strings"] or p["strings"][0] != "":
            bad("string_table[0] is %r" % (p["strings"][:1],))
        if types != SAMPLE_TYPES[name]:
            bad("sample types %s" % types)
            return None
        if period != PERIOD_TYPES[name]:
            bad("period type %s" % (period,))
        for s in p["samples"]:
            if len(s["values"]) != len(types):
                bad("a sample has %d values for %d types" % (len(s["values"]), len(types)))
                return None
        now0, now1 = t0 * 1e9, t1 * 1e9
        if not now0 - 1e9 <= p["time_nanos"] <= now1 + 1e9:
            bad("time_nanos %.3f s off the request (%.3f..%.3f)" %
                ((p["time_nanos"] - now0) / 1e9, 0, (now1 - now0) / 1e9))
        if job.seconds:
            want = job.seconds * 1e9
            if not want - 0.2e9 <= p["duration_nanos"] <= want + 2e9:
                bad("duration_nanos %d for seconds=%d" % (p["duration_nanos"], job.seconds))
            if t1 - t0 < job.seconds - 0.2:
                bad("a %d s profile answered after %.1f s" % (job.seconds, t1 - t0))
        elif p["duration_nanos"] != 0:
            bad("duration_nanos %d on a snapshot" % p["duration_nanos"])
        if name in DIFFED:
            if job.prev is not None:
                for key, old in job.prev.items():
                    new = st.get(key)
                    for i in DIFFED[name]:
                        d = (new[i] if new else 0) - old[i]
                        if d < 0:
                            bad("negative delta %d of %s on stack %s" %
                                (d, types[i][0], [hex(a) for a in key[0][:6]]))
                            break
            job.prev = st
            if job.first is None:
                job.first = p
            job.last = p
        self.note("%s %s #%d %d %.2fs %d samples %s" %
                  (self.kind, job.name, job.count, status, t1 - t0, len(p["samples"]),
                   "ok" if ok else "BAD"))
        return p

    def loop(self, job, offset):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=job.timeout)
        next_tick = time.monotonic() + offset
        for _ in range(self.rounds):
            delay = next_tick - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_tick = max(next_tick + self.interval, time.monotonic())
            job.count += 1
            t0 = time.time()
            try:
                status, resp, body = self.fetch(conn, job)
            except (OSError, http.client.HTTPException) as e:
                # Go's transport retries an idle connection the server closed.
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=job.timeout)
                if isinstance(e, (http.client.RemoteDisconnected, BrokenPipeError,
                                  ConnectionResetError)):
                    try:
                        t0 = time.time()
                        status, resp, body = self.fetch(conn, job)
                    except (OSError, http.client.HTTPException) as e2:
                        self.problem(job, "request failed: %r" % e2)
                        continue
                else:
                    self.problem(job, "request failed: %r" % e)
                    continue
            t1 = time.time()
            self.check(job, status, resp, body, t0, t1)
        conn.close()

    def run(self):
        threads = []
        for i, job in enumerate(self.jobs):
            # spread over the first seconds (the scrapers hash a target into
            # the whole interval; a shorter spread keeps the test short)
            offset = min(self.interval, 3) * i / len(self.jobs) / 2
            t = threading.Thread(target=self.loop, args=(job, offset))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        if self.rounds > 1:
            for job in self.jobs:
                name = job.path.rsplit("/", 1)[1]
                if name not in GROWS or job.first is None or job.last is job.first:
                    continue
                idx = DIFFED[name][0]
                a = named_total(job.first, GROWS[name], idx)
                b = named_total(job.last, GROWS[name], idx)
                if b <= a:
                    self.problem(job, "%s did not grow over the run (%d then %d)" %
                                 ("/".join(GROWS[name]), a, b))
        return self.problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("kind", choices=("alloy", "parca"))
    ap.add_argument("interval", type=int)
    ap.add_argument("rounds", type=int)
    ap.add_argument("--token")
    ap.add_argument("--log")
    a = ap.parse_args()
    if a.kind == "alloy" and a.interval < 2:
        sys.exit("Alloy's scrape_interval is at least 2 s with delta profiling")
    log = open(a.log, "a") if a.log else sys.stdout
    problems = Replay(a.base, a.kind, a.interval, a.rounds, a.token, log).run()
    for p in problems:
        print("scrape_replay: " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


main()
