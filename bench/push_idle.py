#!/usr/bin/env python3
"""Overhead of an idle push agent on the churn benchmark (issue 17), measured
so a shared, noisy 2-CPU machine can still resolve a fraction of a percent.

bench/churn (2 threads of malloc/free churn) runs preloaded with libcprof,
CPROF_ADDR=off, in pairs of runs: one without CPROF_PUSH_URL (baseline),
one with it pointing at a local receiver
(tests/integration/lib/pyroscope_receiver.py, every request checked against
Pyroscope's ingest API) at the default 15 s interval. The agent is idle but
for its 100 Hz CPU timers on the program's threads, its drains every 500 ms,
and a push when a run outlives an interval, and the exit flush.

Per run, measured by the kernel, never wall time:
  inproc  churn's own getrusage(RUSAGE_SELF) at the end of main, before the
          exit flush: the idle agent's whole steady-state cost is in it;
  wait4   the child's user+sys from wait4: the process's lifetime, with the
          agent's start and its exit flush (one CPU and one memory profile
          built, encoded and posted);
  agent   the CPU of the agent's thread (comm "cprof-push", its schedstat)
          at the last look before exit, polled every 50 ms: a direct lower
          bound of the agent's cost, free of the noise of the comparison.
The comparison is the median over pairs of agent/baseline, with the
interquartile range of those ratios, and the ratio of the best runs. The
two runs of a pair run at the same time (--sequential: one after the other,
in random order), so a burst of load from elsewhere hits both alike.

Fixed costs (the agent's start, its exit flush) are not idle overhead, and
in runs of a second or two they are a percent; so every pair is run at two
lengths, STEPS and 4 x STEPS, and the marginal overhead is the growth of
the agent-baseline difference over the growth of the baseline's CPU.

usage: bench/push_idle.py [PAIRS] [STEPS_PER_THREAD] [--sequential]   (default 12, 6000000)
"""
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB = os.path.join(ROOT, "build", "libcprof.so")
CHURN = os.path.join(ROOT, "build", "bench", "churn")
RECEIVER = os.path.join(ROOT, "tests", "integration", "lib", "pyroscope_receiver.py")


def tasks(pid):
    """[(comm, cpu ns)] of pid's live threads (schedstat), or None when gone."""
    out = []
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                comm = f.read().strip()
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                out.append((comm, int(f.read().split()[0])))
        except (OSError, ValueError, IndexError):
            pass
    return out


class Run:
    """One churn run being watched."""

    def __init__(self, name, env, steps):
        self.name = name
        self.t0 = time.monotonic()
        self.p = subprocess.Popen([CHURN, "2", str(steps)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        self.ru = None
        self.agent = 0      # the agent thread's CPU at the last look (ns)
        self.steady = None  # (agent ns, process ns) at the first steady look
        self.last = None    # ... and at the last look with both workers alive

    def look(self):
        """Poll once: reap, or read the threads. True once it ended."""
        pid, status, ru = os.wait4(self.p.pid, os.WNOHANG)
        if pid:
            self.ru, self.status = ru, status
            return True
        ts = tasks(self.p.pid)
        if not ts:
            return False
        agent = sum(ns for comm, ns in ts if comm.startswith("cprof-push"))
        self.agent = max(self.agent, agent)
        workers = sum(1 for comm, _ in ts if comm == "churn") >= 3  # main + 2 workers
        if workers and agent and time.monotonic() - self.t0 >= 0.5:
            point = (agent, sum(ns for _, ns in ts))
            if self.steady is None:
                self.steady = point
            self.last = point
        return False

    def result(self):
        """(inproc s, wait4 s, agent-thread s, steady agent share or None)."""
        out = self.p.stdout.read().decode()
        self.p.stdout.close()
        if self.status != 0:
            sys.exit("churn failed (%d): %s" % (self.status, out))
        m = re.search(r"cpu ([0-9.]+) s", out)
        share = None
        if self.steady and self.last and self.last[1] > self.steady[1]:
            share = (self.last[0] - self.steady[0]) / (self.last[1] - self.steady[1])
        return float(m.group(1)), self.ru.ru_utime + self.ru.ru_stime, self.agent / 1e9, share


def run_pair(envs, steps, together):
    """Both configurations, at the same time (together) or one after the
    other in random order: {name: result}."""
    names = list(envs)
    random.shuffle(names)
    res = {}
    if together:
        runs = [Run(n, envs[n], steps) for n in names]
        while runs:
            runs = [r for r in runs if not r.look() or res.update({r.name: r.result()})]
            time.sleep(0.05)
        return res
    for n in names:
        r = Run(n, envs[n], steps)
        while not r.look():
            time.sleep(0.05)
        res[n] = r.result()
    return res


def report(label, res):
    """The table of one run length; returns {measure: (median base, median agent)}."""
    print(label)
    print("  %-7s %10s %10s %24s %10s" % ("measure", "baseline", "agent", "median pair ratio [IQR]",
                                          "best/best"))
    med = {}
    for i, name in ((0, "inproc"), (1, "wait4")):
        b = [r[i] for r in res["baseline"]]
        a = [r[i] for r in res["agent"]]
        ratios = sorted(x[i] / y[i] for x, y in zip(res["agent"], res["baseline"]))
        q = statistics.quantiles(ratios, n=4)
        print("  %-7s %9.3fs %9.3fs %9.4fx [%.4f-%.4f] %9.4fx" % (
            name, statistics.median(b), statistics.median(a), statistics.median(ratios), q[0], q[2],
            min(a) / min(b)))
        med[name] = (statistics.median(b), statistics.median(a),
                     statistics.median(x[i] - y[i] for x, y in zip(res["agent"], res["baseline"])))
    agent_s = [r[2] for r in res["agent"]]
    share = sorted(r[2] / r[0] for r in res["agent"])
    print("  agent thread (cprof-push, schedstat), start and exit flush included: median %.2f ms a "
          "run, %.3f %% of the process's CPU (max %.3f %%)" % (
              statistics.median(agent_s) * 1e3, statistics.median(share) * 100, share[-1] * 100))
    steady = sorted(r[3] for r in res["agent"] if r[3] is not None)
    if steady:
        print("  agent thread while idle (from 0.5 s to the workers' end): median %.4f %% of the "
              "process's CPU (max %.4f %%, %d runs)" % (statistics.median(steady) * 100,
                                                        steady[-1] * 100, len(steady)))
    return med


def main():
    together = "--sequential" not in sys.argv
    args = [a for a in sys.argv[1:] if a != "--sequential"]
    pairs = int(args[0]) if len(args) > 0 else 12
    steps = int(args[1]) if len(args) > 1 else 6000000
    lengths = (steps, 4 * steps)
    with tempfile.TemporaryDirectory(prefix="cprof-push-idle.") as tmp:
        recv_dir = os.path.join(tmp, "recv")
        os.mkdir(recv_dir)
        recv = subprocess.Popen([sys.executable, RECEIVER, recv_dir], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        try:
            port = int(recv.stdout.readline().split()[1])
            base = dict(os.environ, CPROF_ADDR="off", LD_PRELOAD=LIB)
            for k in list(base):
                if k.startswith("CPROF_PUSH") or k == "CPROF_SERVICE_NAME":
                    del base[k]
            agent_env = dict(base, CPROF_PUSH_URL="http://127.0.0.1:%d" % port)
            res = {n: {"baseline": [], "agent": []} for n in lengths}
            for _ in range(pairs):
                for n in lengths:
                    pair = run_pair({"baseline": base, "agent": agent_env}, n, together)
                    for c in res[n]:
                        res[n][c].append(pair[c])
            pushed = len([f for f in os.listdir(recv_dir) if f.endswith(".pb.gz")])
            refused = os.path.exists(os.path.join(recv_dir, "errors"))
        finally:
            recv.terminate()
            recv.wait()
    print("bench/churn 2 STEPS preloaded (CPROF_ADDR=off), without and with CPROF_PUSH_URL (the "
          "default 15 s interval), %d pairs of each length, the two runs of a pair %s" % (
              pairs, "at the same time" if together else "one after the other"))
    med = {n: report("STEPS=%d" % n, res[n]) for n in lengths}
    short, long_ = lengths
    print("marginal (what the agent adds per CPU-second of the program, fixed start and exit "
          "costs cancelled: the median agent-baseline difference of the long runs less the short "
          "runs', over the baseline's difference):")
    for name in ("inproc", "wait4"):
        extra = med[long_][name][2] - med[short][name][2]
        work = med[long_][name][0] - med[short][name][0]
        fixed = med[short][name][2] - extra / work * med[short][name][0]
        print("  %-7s %+.3f %%   (fixed per run: %.1f ms)" % (name, 100 * extra / work, fixed * 1e3))
    print("receiver: %d profiles pushed, %s" % (
        pushed, "requests REFUSED" if refused else "none refused"))


if __name__ == "__main__":
    main()
