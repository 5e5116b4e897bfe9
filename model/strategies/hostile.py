"""Hostile layouts: a venv whose files are what a careless or malicious world leaves there.

Each draw is a venv made from a real interpreter (``bin/python`` a link to it, ``pyvenv.cfg``
naming its directory) with some of the files start-up reads replaced by something hostile:
a FIFO or a socket (a reader blocks or fails), a link to /dev/zero (endless) or /dev/null
(empty), a sparse file larger than prefixlab reads (64 MiB), a long real file, a link loop,
bytes that are not UTF-8, control characters; placed below a deep directory tree (up to
1,000 levels) whose names may hold undecodable bytes, a newline or a backslash.

The draw is a pure description (:class:`HostileCase`); impl/checks/hostile.py lays it down
on disk and runs prefixlab on it.  Shrinks toward: a plain venv, depth 0, plain names.
"""

from __future__ import annotations

from prefixlab.model.speedups import dataclass

from hypothesis import strategies as st

from prefixlab.model.strategies._checks import check_type

FileKind = str
"""How a file start-up reads is made: one of :data:`FILE_KINDS`."""

FILE_KINDS = ("regular", "absent", "fifo", "socket", "dev-null", "dev-zero", "sparse-huge",
              "long", "loop", "not-utf8", "control")
"""``regular``: the ordinary content; ``absent``: no file; ``fifo``, ``socket``: a FIFO or a
bound Unix socket; ``dev-null``, ``dev-zero``: a link to that device; ``sparse-huge``: the
ordinary content, then a hole to 70 MiB; ``long``: the ordinary content, then 200,000 more
lines; ``loop``: a link to itself; ``not-utf8``, ``control``: the ordinary content with
undecodable bytes, or with control characters, in a value."""

NAME_KINDS = ("plain", "not-utf8", "newline", "tab", "backslash", "space")
"""What the directory holding the venv is called: ``d``, or ``d`` with the byte 0xff, a
newline, a tab, a backslash or a space in it."""


@dataclass(frozen=True)
class HostileCase:
    """A hostile venv: what each file start-up reads is, and where the venv lies."""

    cfg: FileKind
    """pyvenv.cfg (``regular`` names the interpreter's directory as home)."""
    pth: FileKind
    """A .pth file in the venv's site-packages (``regular``: one directory line)."""
    sitecustomize: FileKind
    """sitecustomize.py in the venv's site-packages (``regular``: ``x = 1``)."""
    program: FileKind
    """bin/python (``regular``: a link to the interpreter; ``loop``: a link loop)."""
    depth: int
    """How many directories the venv's directory lies below the case's root."""
    name: str
    """What the directory holding the venv is called: one of :data:`NAME_KINDS`."""
    site: bool
    """Start-up imports site (no -S): the .pth file and sitecustomize are read."""


_DEPTHS = st.sampled_from([0, 0, 3, 40, 520, 1000])
_NAMES = st.sampled_from(NAME_KINDS)


def _file_kinds(*excluded: str) -> st.SearchStrategy[FileKind]:
    return st.sampled_from([k for k in FILE_KINDS if k not in excluded])


@st.composite
def _hostile_cases(draw: st.DrawFn, hostile: int) -> HostileCase:
    # Most files stay ordinary, so that each case probes a few hostile files at a time and
    # a failure shrinks to the one that matters.
    def kind(*excluded: str) -> FileKind:
        if draw(st.integers(0, 99)) >= hostile:
            return "regular"
        return draw(_file_kinds(*excluded))

    return HostileCase(cfg=kind(), pth=kind(), sitecustomize=kind("long"),
                       program=draw(st.sampled_from(["regular", "regular", "regular",
                                                     "loop"])),
                       depth=draw(_DEPTHS), name=draw(_NAMES), site=draw(st.booleans()))


def hostile_cases(*, hostile: int = 40) -> st.SearchStrategy[HostileCase]:
    """Hostile venvs; ``hostile`` is the percentage chance of each file being hostile."""
    check_type(int, hostile, "hostile")
    if not 0 <= hostile <= 100:
        from hypothesis.errors import InvalidArgument

        raise InvalidArgument(f"hostile={hostile!r}, but only 0 to 100 (a percentage) is valid")
    return _hostile_cases(hostile)
