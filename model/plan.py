"""A build plan: the operations that make an environment, as a pure value.

Builders (model/venvplan.py, model/buildenv.py and the flavours) return a plan; the one writer
(impl/writer.py) applies it.  Paths are relative to the environment's root, normalised, each
planned once, and a directory is planned before anything inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Mkdir:
    path: str
    mode: int = 0o755


@dataclass(frozen=True)
class Link:
    path: str
    target: str
    """The symbolic link's target, verbatim (absolute or relative to the link's directory)."""


@dataclass(frozen=True)
class Write:
    path: str
    data: bytes
    mode: int = 0o644


@dataclass(frozen=True)
class Copy:
    """A copy of an existing file outside the plan (an interpreter binary for ``--copies``):
    ``source`` is an absolute path, read when the plan is applied; the mode is kept."""
    path: str
    source: str


@dataclass(frozen=True)
class CWrapper:
    """A makeBinaryWrapper wrapper compiled when the plan is applied: ``makeCWrapper
    EXECUTABLE FLAGS...`` (nixpkgs' flags, e.g. ('--set', 'K', 'V', '--add-flag', 'x')), as
    prefixlab.impl.wrapgen writes it and the machine's C compiler builds it (mode 0o755)."""
    path: str
    executable: str
    flags: tuple[str, ...] = ()


Operation = Mkdir | Link | Write | Copy | CWrapper


class PlanError(Exception):
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
