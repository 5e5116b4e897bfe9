"""build env's plans, cached: a build of an environment made before (the same request, the
interpreter as it was learned, the package trees as they were) writes the plan made then,
without importing the planner or the model (impl/cli/build_env.py asks here first).

An entry (impl/builders/learncache.py's format and rules) is keyed by the request: the
interpreter's learning key (--python as given, the working directory, the user, the
environment), TARGET made absolute, the packages with their priorities, the flavour, the
collision rule and the options.  It holds the plan's operations and warnings, the
interpreter's learned value (which the summary prints from), and the state of every path the
planning's snapshot looked at (the package trees, the interpreter's standard library, their
ancestors) and of every listing it took.  It is used while the interpreter's own entry is
valid and says the same, every such path looks the same and the modules that planned are
unchanged; otherwise the command plans afresh and writes a new entry.  The checks that look
past the snapshot (TARGET's directory, what TARGET is now, an input inside TARGET) run on
every build (impl/builders/envsteps.py).
"""

from __future__ import annotations

import os

from prefixlab.impl.builders import learncache
from prefixlab.model.builders.plan import Copy, CWrapper, Link, Mkdir, Write

TYPE_CHECKING = False  # typing stays off a warm build's start-up (model/speedups.py)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, NamedTuple

    from prefixlab.impl.host.snapshot import Snapshot
    from prefixlab.model.builders.plan import Operation
else:
    from prefixlab.model.speedups import NamedTuple

INTERPRETER_FORMAT = 1
"""The format of build env's learned interpreters (impl/builders/env.py learn_interpreter)."""
PLAN_FORMAT = 1
"""The format of its cached plans."""
KEPT_PLANS = 32
"""Plans kept (the ones written or used last): one per TARGET, so a campaign that builds
environments in new directories would otherwise fill the cache."""
_KINDS = {"mkdir": Mkdir, "link": Link, "write": Write, "copy": Copy, "cwrapper": CWrapper}
"""An operation's class by its kind, the last field of each (model/builders/plan.py)."""


class Cached(NamedTuple):
    """A plan found in the cache, with what the command prints and checks beside it."""

    ops: tuple[Operation, ...]
    warnings: tuple[str, ...]
    interpreter: dict[str, Any]
    """The learned interpreter as its entry holds it: binary, build (the build constants by
    field), prefix, exec_prefix, given."""


def interpreter_key(python: str) -> list[Any]:
    """What the learning of ``python`` answers for: ``python`` as given, the working
    directory, the user and the environment (a shim's answer depends on PYENV_VERSION, a bare
    name's on PATH)."""
    environ = sorted((k, v) for k, v in os.environ.items() if k not in learncache.VOLATILE_ENV)
    return [INTERPRETER_FORMAT, python, os.getcwd(), os.getuid(), environ]


def plan_key(python: str, target: str, packages: Sequence[tuple[str, int]], flavor: str,
             ignore_collisions: bool, options: Sequence[tuple[str, str]]) -> list[Any]:
    """The request a plan answers (packages as (absolute root, priority), in order)."""
    return [PLAN_FORMAT, interpreter_key(python), os.path.abspath(target),
            [list(p) for p in packages], flavor, ignore_collisions, [list(o) for o in options]]


def learned(key: list[Any]) -> dict[str, Any] | None:
    """The interpreter learned for ``key`` (:func:`interpreter_key`) as its entry holds it,
    when everything the learning read still looks the same (the working directory's listing
    aside); None otherwise.  A file found the same by its bytes after its ctime moved is
    recorded anew."""
    path = learncache.entry_path("env", key)
    found = learncache.read(path, key)
    if found is None:
        return None
    moved: list[tuple[str, list[Any]]] = []
    try:
        if not learncache.still_valid(found["seen"], unlisted=(key[2],), moved=moved):
            return None
        value: dict[str, Any] = found["interpreter"]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # an entry of another shape: learned again
    if moved:
        learncache.refresh(path, found, moved)
    return value


def lookup(key: list[Any]) -> Cached | None:
    """The plan cached for ``key`` (:func:`plan_key`) when it still holds; None otherwise."""
    path = learncache.entry_path("env-plan", key)
    found = learncache.read(path, key)
    if found is None:
        return None
    try:
        if learned(key[1]) != found["interpreter"]:
            return None
        if not learncache.still_valid(found["seen"], unlisted=(key[1][2],)):
            return None
        ops = tuple(_KINDS[op[-1]](*op) for op in found["ops"])
        cached = Cached(ops, tuple(found["warnings"]), found["interpreter"])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None  # an entry of another shape: planned again
    learncache.touch(path)
    return cached


def store(key: list[Any], ops: Sequence[Operation], warnings: Sequence[str],
          interpreter: dict[str, Any], fs: Snapshot) -> None:
    """Cache a plan made over the recording snapshot ``fs`` (learncache.recording_snapshot)
    for the interpreter learned as ``interpreter``."""
    learncache.write(learncache.entry_path("env-plan", key),
                     {"key": key, "seen": learncache.record(fs, digests=False),
                      "interpreter": interpreter, "ops": [tuple(op) for op in ops],
                      "warnings": list(warnings)})
    learncache.prune("env-plan", KEPT_PLANS)
