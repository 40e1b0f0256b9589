#!/usr/bin/env python3
"""shell_session.py: run an interactive pprof-style shell session and write
its transcript, one section per command, so two shells can be compared.

    shell_session.py pty  OUT CMDS -- PROGRAM ARGS...   (cprof: a terminal)
    shell_session.py pipe OUT CMDS -- PROGRAM ARGS...   (go tool pprof: stdin piped)

CMDS holds one command a line ("\\x10"-style escapes are decoded, so a
control key can be typed). OUT gets "### (greeting)" and the text before the
first prompt, then "### CMD" and what the command printed, for each command:
stdout and stderr together, "\\r\\n" turned into "\\n", the "(pprof) " prompts
removed (and, on the terminal, the echo of the typed line).

pty: the program runs on a new pseudo-terminal (TERM=dumb, 200 columns);
each command is typed once the prompt is shown and the line editor has the
terminal, and each prompt must come within 60 s. After the last command the program must exit (status 0) within
10 s. Whatever happens, the program is killed before this script exits.
pipe: all commands on stdin at once; the output is split at the prompts.
"""
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time

PROMPT = b"(pprof) "


def fail(msg):
    sys.stderr.write("shell_session: %s\n" % msg)
    sys.exit(1)


def type_line(fd, data, timeout=60.0):
    """Writes data to the terminal while reading what it echoes (a long line
    would otherwise fill both directions): the bytes read."""
    out = b""
    deadline = time.monotonic() + timeout
    while data:
        if time.monotonic() > deadline:
            fail("could not type the line within %.0f s" % timeout)
        readable, writable, _ = select.select([fd], [fd], [], 0.5)
        if readable:
            try:
                out += os.read(fd, 65536)
            except OSError:
                pass
        if writable:
            try:
                n = os.write(fd, data[:512])
            except BlockingIOError:  # select says writable even when full
                n = 0
            data = data[n:]
    return out


def read_until_prompt(fd, proc, buf, timeout=60.0):
    """Bytes read from fd until they end with the prompt: (text, rest)."""
    deadline = time.monotonic() + timeout
    while not buf.endswith(PROMPT):
        left = deadline - time.monotonic()
        if left <= 0:
            fail("no prompt within %.0f s; output so far: %r" % (timeout, buf[-2000:]))
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not ready:
            if proc.poll() is not None:
                fail("exited (%s) before the prompt; output: %r" % (proc.returncode, buf[-2000:]))
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            fail("terminal closed before the prompt; output: %r" % buf[-2000:])
        buf += chunk
    return buf[: -len(PROMPT)]


def drain(fd, proc, timeout=10.0):
    """What the program prints until it exits; fails if it does not."""
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if chunk:
                out += chunk
                continue
        if proc.poll() is not None:
            return out
    fail("still running %.0f s after the last command" % timeout)


def wait_raw(fd, timeout=10.0):
    """Wait until the line editor has the terminal (no kernel echo): the
    prompt is printed before libedit switches modes, and a line typed in
    between would be echoed twice."""
    deadline = time.monotonic() + timeout
    while termios.tcgetattr(fd)[3] & (termios.ECHO | termios.ICANON):
        if time.monotonic() > deadline:
            fail("the terminal stays in line mode after the prompt")
        time.sleep(0.005)


def text(b):
    return b.decode("utf-8", "replace").replace("\r\n", "\n")


def run_pty(cmds, argv):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    env = dict(os.environ, TERM="dumb")
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True, close_fds=True)
    os.close(slave)
    os.set_blocking(master, False)
    try:
        sections = [("(greeting)", text(read_until_prompt(master, proc, b"")))]
        for i, cmd in enumerate(cmds):
            wait_raw(master)
            echo = type_line(master, cmd.encode("utf-8", "surrogateescape") + b"\n")
            if i == len(cmds) - 1:
                out = echo + drain(master, proc)
            else:
                out = read_until_prompt(master, proc, echo)
            out = text(out)
            # The terminal echoes the typed line first.
            nl = out.find("\n")
            out = out[nl + 1:] if nl >= 0 else ""
            sections.append((cmd, out))
        if proc.wait(timeout=10) != 0:
            fail("exit status %d" % proc.returncode)
        return sections
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)


def run_pipe(cmds, argv):
    stdin = "".join(c + "\n" for c in cmds).encode("utf-8", "surrogateescape")
    proc = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=300)
    if proc.returncode != 0:
        fail("exit status %d: %r" % (proc.returncode, proc.stdout[-2000:]))
    parts = text(proc.stdout).split(PROMPT.decode())
    if len(parts) != len(cmds) + 1:
        fail("%d prompts for %d commands" % (len(parts) - 1, len(cmds)))
    return [("(greeting)", parts[0])] + list(zip(cmds, parts[1:]))


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--" or sys.argv[1] not in ("pty", "pipe"):
        fail("usage: shell_session.py pty|pipe OUT CMDS -- PROGRAM ARGS...")
    mode, out, cmds_file, argv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[5:]
    with open(cmds_file, encoding="utf-8", errors="surrogateescape") as f:
        cmds = [line.rstrip("\n").encode("utf-8", "surrogateescape").decode("unicode_escape")
                if "\\x" in line else line.rstrip("\n") for line in f]
    sections = run_pty(cmds, argv) if mode == "pty" else run_pipe(cmds, argv)
    with open(out, "w", encoding="utf-8") as f:
        for cmd, body in sections:
            f.write("### %s\n%s" % (cmd, body))


if __name__ == "__main__":
    main()
