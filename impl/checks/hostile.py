"""The adversarial campaign: prefixlab run on hostile venvs, as a user would run it.

A :class:`~prefixlab.model.strategies.hostile.HostileCase` is laid down on disk (FIFOs,
sockets, links to devices, sparse files, directories 1,000 deep, names with undecodable
bytes and control characters), then ``prefixlab predict --json``, ``prefixlab explain`` and
``prefixlab build venv --python`` are run on it, each as its own process with a time limit
and an address-space limit.  Every run must end with an answer (exit 0: a prediction, an
explanation, a venv; a predicted failed start is an answer), or with one line of bad input
(exit 2); never with a traceback, exit 3, a hang or unbounded output.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass

from prefixlab.impl.builders.writer import remove_tree
from prefixlab.model.strategies.hostile import HostileCase

TIME_LIMIT = float(os.environ.get("PREFIXLAB_HOSTILE_TIME", "30"))
"""Seconds a run may take (PREFIXLAB_HOSTILE_TIME): the real interpreter answers a 60 MB .pth file in under 2 s, and
prefixlab's own start is a fraction of a second."""
MEMORY_LIMIT = 1536 * 1024 * 1024
"""The address-space limit of a run (RLIMIT_AS), bytes."""
OUTPUT_LIMIT = 2 * 1024 * 1024
"""The most a run may print: explanations of huge files are summarised."""
HUGE = 70 * 1024 * 1024
"""The size of a sparse hostile file: above the 64 MiB prefixlab reads."""
LONG_LINES = 200_000

_PAD = b"# padding\n"


@dataclass(frozen=True)
class Run:
    """One prefixlab command on a hostile case, and how it ended."""

    command: tuple[str, ...]
    returncode: int | None
    """None when it was killed at the time limit."""
    stdout: bytes
    stderr: bytes

    def problem(self) -> str:
        """Why this run is not acceptable ('' when it is)."""
        if self.returncode is None:
            return f"no answer within {TIME_LIMIT:g} s"
        err = self.stderr.decode("utf-8", "backslashreplace")
        if "Traceback" in err:
            return "a traceback: " + err.strip().splitlines()[-1]
        if len(self.stdout) > OUTPUT_LIMIT:
            return f"{len(self.stdout):,} bytes of output"
        if self.returncode == 0:
            return ""
        if self.returncode == 2:
            lines = err.strip().splitlines()
            return "" if len(lines) == 1 else f"exit 2 with {len(lines)} lines on stderr"
        return f"exit {self.returncode}: {err.strip()[:300]}"


@dataclass(frozen=True)
class Placed:
    """A hostile case on disk."""

    root: str
    venv: str
    target: str
    """Where ``build venv`` is asked to write (beside the venv; not created)."""


# -- laying the case down --------------------------------------------------------------------
def _holder_name(kind: str) -> bytes:
    return {"plain": b"d", "not-utf8": b"d\xff", "newline": b"d\nx", "tab": b"d\tx",
            "backslash": b"d\\x", "space": b"d x"}[kind]


def place(case: HostileCase, root: str, interpreter: str, version: tuple[int, int]) -> Placed:
    """Lay ``case`` down under ``root`` for the interpreter at ``interpreter``."""
    deep = _deep_dirs(root.encode(), case.depth)
    holder = os.path.join(deep, _holder_name(case.name))
    venv = os.path.join(holder, b"v")
    site_packages = os.path.join(venv, b"lib", f"python{version[0]}.{version[1]}".encode(),
                                 b"site-packages")
    os.makedirs(os.path.join(site_packages, b"extra"))
    os.makedirs(os.path.join(venv, b"bin"))
    home = os.path.dirname(interpreter).encode()
    cfg = b"home = " + home + b"\ninclude-system-site-packages = false\n"
    _file(os.path.join(venv, b"pyvenv.cfg"), case.cfg, cfg, b"prompt = \xff\n",
          b"prompt = a\x1b[31mb\x07\n")
    _file(os.path.join(site_packages, b"x.pth"), case.pth, b"extra\n", b"extra\xff\n",
          b"extra\x07\n")
    _file(os.path.join(site_packages, b"sitecustomize.py"), case.sitecustomize, b"x = 1\n",
          b"x = '\xff'\n", b"x = '\x1b'\n")
    python = os.path.join(venv, b"bin", b"python")
    if case.program == "loop":
        os.symlink(b"python2", python)
        os.symlink(b"python", os.path.join(venv, b"bin", b"python2"))
    else:
        os.symlink(interpreter.encode(), python)
    return Placed(root, os.fsdecode(venv), os.fsdecode(os.path.join(holder, b"t")))


def _deep_dirs(root: bytes, depth: int) -> bytes:
    """``depth`` nested directories below root, made one level at a time."""
    path = root
    for _ in range(depth):
        path = os.path.join(path, b"a")
        os.mkdir(path)
    return path


def _file(path: bytes, kind: str, content: bytes, not_utf8: bytes, control: bytes) -> None:
    if kind == "absent":
        return
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        _bind_socket(path)
    elif kind in ("dev-null", "dev-zero"):
        os.symlink(b"/dev/null" if kind == "dev-null" else b"/dev/zero", path)
    elif kind == "loop":
        os.symlink(os.path.basename(path), path)
    else:
        data = {"not-utf8": content + not_utf8, "control": content + control,
                "long": content + _PAD * LONG_LINES}.get(kind, content)
        with open(path, "wb") as out:
            out.write(data)
            if kind == "sparse-huge":
                out.truncate(HUGE)


def _bind_socket(path: bytes) -> None:
    # A Unix socket's address holds at most 107 bytes: bind by name from its directory.
    here = os.open(".", os.O_RDONLY)
    try:
        os.chdir(os.path.dirname(path))
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(os.path.basename(path))
    finally:
        os.fchdir(here)
        os.close(here)


# -- running prefixlab -----------------------------------------------------------------------
def commands(prefixlab: str, placed: Placed, case: HostileCase) -> list[tuple[str, ...]]:
    """The three commands a user would run on the case."""
    python = os.path.join(placed.venv, "bin", "python")
    flags = () if case.site else ("-S",)
    return [
        (prefixlab, "predict", "--json", python, *flags, "-c", "pass"),
        (prefixlab, "explain", python, *flags, "-c", "pass"),
        (prefixlab, "build", "venv", placed.target, "--python", python),
    ]


def run(command: tuple[str, ...], env: dict[str, str], cwd: str) -> Run:
    """Run ``command`` with the time and memory limits; its whole process group is killed at
    the end, whatever it left running."""
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True,
                            preexec_fn=limits)
    try:
        out, err = proc.communicate(timeout=TIME_LIMIT)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        code = None
        _kill_group(proc.pid)
        out, err = proc.communicate()
    _kill_group(proc.pid)
    return Run(command, code, out[:OUTPUT_LIMIT + 1], err)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def scratch_root() -> str:
    return tempfile.mkdtemp(prefix="prefixlab-hostile-")


def remove(root: str) -> None:
    """Remove a case's tree, deep ones too (the writer's own remover keeps its own stack)."""
    remove_tree(root)
