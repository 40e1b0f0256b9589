#!/usr/bin/env python3
"""Run one test and make sure it leaves no process behind (used by tests/run.sh).

usage: reap_leftovers.py REPORT_FILE COMMAND [ARG...]

Becomes a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so every process the
test starts stays below it even when it daemonizes or its parent dies, and
reaps those orphans as init would while the test runs. Once COMMAND exits,
what still lives below it after a short grace (LEFTOVER_GRACE_SECONDS) is left
behind: one line "left N processes behind: PID CMDLINE; ..." goes to
REPORT_FILE (created only then) and to stderr, and those processes are
terminated (SIGTERM, then SIGKILL) and reaped. Exits with COMMAND's status
(128 + N when a signal N ended it). SIGTERM, SIGINT and SIGHUP sent to this
wrapper are passed on to COMMAND.
"""
import ctypes
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
LEFTOVER_GRACE_SECONDS = 2.0


def proc_stat(pid):
    """(state, ppid) of pid from /proc/PID/stat, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # "pid (comm) S ppid ...": comm may hold spaces and parentheses.
    fields = data[data.rindex(b")") + 2:].split()
    return fields[0].decode(), int(fields[1])


def cmdline(pid):
    """The process's command line with spaces between arguments, or [comm]."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
        if args:
            return args
        with open(f"/proc/{pid}/comm", "rb") as f:
            return "[" + f.read().strip().decode(errors="replace") + "]"
    except OSError:
        return "?"


def descendants():
    """Live (not zombie) processes below this one, parents first."""
    children = {}
    states = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = proc_stat(int(name))
        if st:
            states[int(name)] = st[0]
            children.setdefault(st[1], []).append(int(name))
    out, todo = [], [os.getpid()]
    while todo:
        for pid in children.get(todo.pop(0), []):
            if states[pid] != "Z":
                out.append(pid)
            todo.append(pid)
    return out


def reap():
    """Reap every exited child without blocking."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wait_gone(seconds):
    """Reap until nothing lives below or SECONDS pass; what still lives."""
    deadline = time.monotonic() + seconds
    while True:
        reap()
        left = descendants()
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    report, command = sys.argv[1], sys.argv[2:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("reap_leftovers: prctl: " + os.strerror(ctypes.get_errno()))
    child = os.fork()
    if child == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, _: os.kill(child, s))
    # Wait for the test, reaping the orphans that end meanwhile.
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == child:
            break
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    rc = os.waitstatus_to_exitcode(status)
    rc = 128 - rc if rc < 0 else rc

    left = wait_gone(LEFTOVER_GRACE_SECONDS)
    if left:
        line = "left %d processes behind: %s" % (
            len(left), "; ".join("%d %s" % (p, cmdline(p)) for p in left))
        with open(report, "w") as f:
            f.write(line + "\n")
        print(line, file=sys.stderr)
        for sig, grace in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)):
            for p in left:
                try:
                    os.kill(p, sig)
                except ProcessLookupError:
                    pass
            left = wait_gone(grace)
            if not left:
                break
        if left:
            print("reap_leftovers: could not end %s" % left, file=sys.stderr)
    sys.exit(rc)


if __name__ == "__main__":
    main()
