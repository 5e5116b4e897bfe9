"""A build plan: the operations that make an environment, as a pure value.

Builders (model/builders/venv.py, model/builders/buildenv.py and the flavours) return a plan; the one writer
(impl/builders/writer.py) applies it.  Paths are relative to the environment's root, normalised, each
planned once, and a directory is planned before anything inside it.
"""

from __future__ import annotations

from prefixlab.model.errors import PrefixlabError
TYPE_CHECKING = False  # typing stays off a warm build venv's start-up (model/speedups.py)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import NamedTuple
else:
    from prefixlab.model.speedups import NamedTuple

# The operations are NamedTuples, not frozen dataclasses: they are as immutable and compare by
# value, but creating the classes and importing dataclasses cost a warm `build venv` about a
# quarter of its start-up (it must be faster than `python -m venv`).  Each carries its kind as a
# last field so that operations of two kinds never compare equal as plain tuples would.


class Mkdir(NamedTuple):
    path: str
    mode: int = 0o755
    kind: str = "mkdir"


class Link(NamedTuple):
    path: str
    target: str
    """The symbolic link's target, verbatim (absolute or relative to the link's directory)."""
    kind: str = "link"


class Write(NamedTuple):
    path: str
    data: bytes
    mode: int = 0o644
    kind: str = "write"


class Copy(NamedTuple):
    """A copy of an existing file outside the plan (an interpreter binary for ``--copies``):
    ``source`` is an absolute path, read when the plan is applied; the mode is kept."""
    path: str
    source: str
    kind: str = "copy"


class CWrapper(NamedTuple):
    """A makeBinaryWrapper wrapper compiled when the plan is applied: ``makeCWrapper
    EXECUTABLE FLAGS...`` (nixpkgs' flags, e.g. ('--set', 'K', 'V', '--add-flag', 'x')), as
    the real side writes it (impl/builders/wrapgen.py) and the machine's C compiler builds it
    (mode 0o755)."""
    path: str
    executable: str
    flags: tuple[str, ...] = ()
    kind: str = "cwrapper"


Operation = Mkdir | Link | Write | Copy | CWrapper


class PlanError(PrefixlabError):
    """The plan is malformed; the message is one line naming the path."""


def check_plan(plan: Iterable[Operation]) -> tuple[Operation, ...]:
    """The plan, validated: relative, normalised paths, each once, parents made first."""
    seen: dict[str, Operation] = {}
    for op in plan:
        _check_path(op.path)
        if op.path in seen:
            raise PlanError(f"{op.path!r}: planned twice")
        parent = op.path.rpartition("/")[0]
        if parent and not isinstance(seen.get(parent), Mkdir):
            raise PlanError(f"{op.path!r}: its directory {parent!r} is not planned before it")
        if isinstance(op, Copy) and not op.source.startswith("/"):
            raise PlanError(f"{op.path!r}: copy source {op.source!r} is not absolute")
        seen[op.path] = op
    return tuple(seen.values())


def _check_path(path: str) -> None:
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise PlanError(f"{path!r}: a planned path must be relative and normalised")
