"""build env's steps around the planning, free of the model: the inputs as the command line
gives them, the checks that look past the planner's snapshot, and the plan written by the one
writer.  A build from a cached plan (impl/builders/envcache.py) takes them as a planned one
does (impl/builders/env.py)."""

from __future__ import annotations

import os

from prefixlab.impl.builders import writer
from prefixlab.model.errors import BadInput

TYPE_CHECKING = False  # typing stays off a warm build's start-up (model/speedups.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from prefixlab.model.builders.plan import Operation

DEFAULT_PRIORITY = 5
"""nixpkgs buildenv/default.nix: ``priority = drv.meta.priority or 5`` (the model's
buildenv.DEFAULT_PRIORITY, which tests hold equal to this)."""


class EnvError(BadInput):
    """Input build env cannot act on: one line naming the file."""


def package_arg(text: str) -> tuple[str, int]:
    """--package's DIR or DIR=PRIORITY (an integer; lower wins, default 5): the directory
    made absolute, and the priority."""
    path, sep, priority = text.rpartition("=")
    if sep and priority.lstrip("-").isdigit():
        return os.path.abspath(path), int(priority)
    return os.path.abspath(text), DEFAULT_PRIORITY


def preflight(target: str, force: bool) -> None:
    """TARGET's directory exists, and TARGET is free or (``force``) replaceable."""
    parent = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(parent):
        raise EnvError(f"{parent}: the directory TARGET is to be made in does not exist")
    try:
        writer.preflight(target, force)
    except writer.WriteError as error:
        raise EnvError(str(error)) from None


def write(ops: Sequence[Operation], target: str, *, flavor: str, force: bool,
          warn: Callable[[str], None] | None = None) -> None:
    """Write a planned environment with its build record, by the one writer (EnvError: one
    line naming the path and the fault; TARGET is then as it was)."""
    try:
        # The build record is the writer's, not the plan's: it tells a later --force that
        # the directory is prefixlab's to replace.
        writer.apply(tuple(ops) + (writer.env_record(flavor),), target, force=force,
                     warn=warn)
    except writer.WriteError as error:
        raise EnvError(str(error)) from None
    except OSError as error:
        raise EnvError(f"{error.filename or target}: {error.strerror or error}") from None


def check_apart(target: str, roots: Sequence[str], python: str, prefixes: Sequence[str]) -> None:
    """The environment links into its inputs and replaces TARGET: an input inside TARGET would
    be deleted under the new environment's links (--force), and TARGET inside an input would
    change that input.  ``python`` names the interpreter whose ``prefixes`` these are."""
    where = os.path.realpath(target)

    def inside(path: str, top: str) -> bool:
        return path == top or path.startswith(top.rstrip("/") + "/")

    named = [(f"--package {root}", root) for root in roots]
    named += [(f"--python {python}", prefix) for prefix in prefixes]
    for name, path in named:
        real = os.path.realpath(path)
        if inside(real, where):
            raise EnvError(f"{path}: {name} is inside TARGET {target}, which the build replaces")
        if inside(where, real) and name.startswith("--package"):
            raise EnvError(f"{target}: TARGET is inside {name}, which must not change")
