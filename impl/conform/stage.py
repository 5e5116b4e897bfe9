"""A case's placement made on disk under a scratch directory ROOT, and the builder run on it.

Operations are carried out in order.  ``build-venv`` runs the builder under test (an outer
venv of venv-of-venv, never with the base's site-packages); ``build-env`` builds a composed
environment of no packages in process (impl/builders/env.py); ``wrap`` writes a makeWrapper
script (impl/builders/wrapgen.py) or compiles a makeBinaryWrapper binary
(impl/builders/cwrapper.py, which needs a C compiler).

The builder's environment is the caller's, without VIRTUAL_ENV, PYTHONHOME, PYTHONPATH and
CONDA_PREFIX (each would change what the base reports), with the placement's PATH entries
prepended and its variables set.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from prefixlab.impl.builders import cwrapper, wrapgen
from prefixlab.impl.checks.fuzz_unwrap import Run, run_shell
from prefixlab.impl.conform.builders import expand
from prefixlab.model.conform.case import Case
from prefixlab.model.conform.placement import (
    BuildEnv, BuildVenv, CopyFile, Link, LinkEntries, MakeDir, Op, Wrap, WriteText)
from prefixlab.model.errors import PrefixlabError

BUILD_TIMEOUT = 120.0
DROPPED = ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "CONDA_PREFIX")
"""Variables of the caller's environment the builder and the base never see."""


class StageError(PrefixlabError):
    """The placement could not be made (one line): not a finding about the builder."""


class Refused(PrefixlabError):
    """The builder exited non-zero on an outer venv of the placement (a refusal, reported as
    such: not a failure)."""

    def __init__(self, run: Run, command: str) -> None:
        super().__init__(command)
        self.run = run
        self.command = command


@dataclass(frozen=True)
class Staged:
    root: str
    """The scratch directory, a real path."""
    python: str
    """{python}: the base as the builder is given it."""
    target: str
    """{target}: ROOT/target."""
    environ: dict[str, str]
    """The builder's (and the expected base's) environment."""


def fill(text: str, root: str) -> str:
    """``{root}`` replaced by ROOT."""
    return text.replace("{root}", root)


def builder_environ(case: Case, root: str, caller: Mapping[str, str]) -> dict[str, str]:
    environ = {k: v for k, v in caller.items() if k not in DROPPED}
    placement = case.placement
    # relative to ROOT, or absolute (from "/" or "{root}"), as the reproducer reads them
    front = [p if p.startswith(("/", "{root}")) else os.path.join(root, p)
             for p in placement.path]
    if front:
        rest = environ.get("PATH", os.defpath)
        environ["PATH"] = os.pathsep.join([*(fill(p, root) for p in front), rest])
    for name, value in placement.env:
        environ[name] = fill(value, root)
    return environ


def stage(case: Case, root: str, caller: Mapping[str, str] | None = None) -> Staged:
    """Make the placement under ``root`` (an empty real directory).  Raises
    :class:`Refused` when the builder fails on an outer venv, :class:`StageError` when
    the placement itself cannot be made."""
    environ = builder_environ(case, root, os.environ if caller is None else caller)
    for op in case.placement.ops:
        try:
            _apply(op, case, root, environ)
        except OSError as error:
            raise StageError(f"{op}: {error.strerror or error}") from None
    return Staged(root, fill(case.placement.python, root),
                  os.path.join(root, case.placement.target), environ)


def run_builder(case: Case, python: str, target: str, environ: Mapping[str, str], cwd: str,
                system_site: bool = False) -> tuple[str, Run]:
    command = expand(case.builder, python=python, target=target, system_site=system_site)
    return command, run_shell(command, Path(cwd), BUILD_TIMEOUT, env=environ)


def _apply(op: Op, case: Case, root: str, environ: Mapping[str, str]) -> None:
    at = os.path.join(root, op.path)
    if isinstance(op, MakeDir):
        os.makedirs(at, exist_ok=True)
    elif isinstance(op, Link):
        os.symlink(fill(op.text, root), at)
    elif isinstance(op, WriteText):
        with open(at, "w", encoding="utf-8") as handle:
            handle.write(op.text)
        if op.executable:
            os.chmod(at, 0o755)
    elif isinstance(op, CopyFile):
        shutil.copy2(op.source, at)
    elif isinstance(op, LinkEntries):
        os.makedirs(at)
        for name in sorted(os.listdir(op.source)):
            os.symlink(os.path.join(op.source, name), os.path.join(at, name))
    elif isinstance(op, Wrap):
        _wrap(op, at, fill(op.target, root))
    elif isinstance(op, BuildVenv):
        command, run = run_builder(case, fill(op.python, root), at, environ, root)
        if run.status != 0:
            raise Refused(run, command)
    elif isinstance(op, BuildEnv):
        _build_env(at, fill(op.python, root), op.flavour)


def _wrap(op: Wrap, at: str, target: str) -> None:
    if op.kind == "make-wrapper":
        with open(at, "w", encoding="utf-8") as handle:
            # bash on PATH stands for nixpkgs' @shell@, as in impl/builders/nix.py
            handle.write(wrapgen.shell_wrapper(target, (),
                                               shell=shutil.which("bash") or "/bin/bash"))
        os.chmod(at, 0o755)
        return
    try:
        cwrapper.compile_wrapper(wrapgen.c_wrapper(target, ()), at)
    except cwrapper.CompileError as error:
        raise StageError(f"makeBinaryWrapper {at!r}: {error}") from None


def _build_env(at: str, python: str, flavour: str) -> None:
    from prefixlab.impl.builders.env import build_env

    try:
        build_env(at, python, (), flavor=flavour)
    except PrefixlabError as error:
        raise StageError(f"build env --flavor {flavour} {at!r}: {error}") from None
