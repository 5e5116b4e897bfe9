"""Run one command and leave none of its processes behind: the supervisor fuzz-unwrap starts
for each case (``python -I -S reaper.py STATUS_FD PROGRAM [ARG...]``).

A session and ``killpg`` miss every child that calls ``setsid`` (or ``setpgid``) itself, and
an environment marker is lost to ``env -i``.  What no descendant can leave is the subtree of a
*child subreaper* (prctl(2) PR_SET_CHILD_SUBREAPER, Linux 3.4): an orphan is reparented to the
nearest subreaper above it instead of to init, however it detached.  So this process marks
itself a subreaper, runs PROGRAM, and when PROGRAM exits (or on SIGTERM, the runner's time
limit) kills its children, reaps them, and repeats: the children of a killed process become
its own children, so the loop ends only when no descendant is left.

It reports PROGRAM's end on STATUS_FD as ``exit N`` or ``signal N`` (nothing when it was
stopped by SIGTERM first), and exits 0.  It runs as a file with ``-I -S``, so it imports the
standard library only.
"""

from __future__ import annotations

import ctypes
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
else:
    # The C module under ``signal``: the same functions and constants, without the enum
    # wrappers whose import (enum) was a third of this process's start-up.
    import _signal as signal

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
"""From <linux/prctl.h>."""


class _Stop(Exception):
    """SIGTERM: the runner's time limit is up."""


def _stop(signum: int, frame: object) -> None:
    raise _Stop


_LIBC: list[ctypes.CDLL] = []


def _prctl(option: int, value: int) -> None:
    if not _LIBC:
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    if _LIBC[0].prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option})")


def children() -> list[int]:
    """This process's children, living or zombie, from /proc/PID/stat (field 4, the parent;
    the command name before it is in parentheses and may hold anything, so split after its
    last ')')."""
    me, found = os.getpid(), []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rpartition(b")")[2].split()
        except OSError:
            continue  # it ended meanwhile
        if len(fields) > 1 and int(fields[1]) == me:
            found.append(int(name))
    return found


def kill_all() -> None:
    """SIGKILL every descendant and reap it; ends when waitpid says there is no child left.
    (Asked first, without waiting: when PROGRAM left nothing behind, which is the common
    case, /proc is not read at all.)"""
    while True:
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        for pid in children():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def wait_for(pid: int) -> str:
    """Wait for PID, reaping orphans that end meanwhile; how it ended."""
    while True:
        ended, status = os.waitpid(-1, 0)
        if ended == pid:
            if os.WIFSIGNALED(status):
                return f"signal {os.WTERMSIG(status)}"
            return f"exit {os.waitstatus_to_exitcode(status)}"


def main(argv: list[str]) -> int:
    status_fd, command = int(argv[1]), argv[2:]
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    try:
        signal.signal(signal.SIGTERM, _stop)
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)  # the runner died: clean up all the same
        if os.getppid() == 1:
            return 0  # the runner died before PR_SET_PDEATHSIG took effect
        pid = os.fork()
        if pid == 0:
            os.close(status_fd)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                os.execvp(command[0], command)
            finally:
                os._exit(127)
        # Let go of the output pipes: they close when the last descendant holding them dies.
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        ended = wait_for(pid)
        os.write(status_fd, ended.encode())
    except _Stop:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        kill_all()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
