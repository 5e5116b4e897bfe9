"""``prefixlab conform --kind env``: composed environments judged by the environment spec.

A case is a flavour of ``build env`` (prefixlab's reference, or an emulated nixpkgs builder)
or a ``--cmd`` template (another tool, held to the reference flavour's spec), a base
interpreter and a drawn package set (prefixlab.model.strategies.packages); running it
is impl/checks/spec.py's whole check (build, run the entries, the scripts, the environment
through a link and venvs made from it), and its failures are the spec's properties that did
not hold (prefixlab.model.builders.envspec).  The case file carries the package set itself
(prefixlab.model.conform.values), so a replay needs no Hypothesis.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from prefixlab.impl.checks import spec
from prefixlab.impl.checks.fuzz_unwrap import Run, run_shell
from prefixlab.impl.conform.builders import expand
from prefixlab.impl.conform.runcase import Finding, Result, _exit
from prefixlab.impl.conform.stage import BUILD_TIMEOUT, DROPPED
from prefixlab.impl.host.materialize import remove_tree
from prefixlab.model.builders import envspec, venvpromises
from prefixlab.model.conform import values
from prefixlab.model.conform.case import Builder
from prefixlab.model.conform.placement import Base, Placement
from prefixlab.model.strategies import packages as drawn
from prefixlab.model.world import fs

FLAVOURS: dict[str, str] = {
    "prefixlab-env": "reference", "nix-classic": "nix-classic",
    "nix-297628": "nix-297628/fixed", "nix-297628-inherit": "nix-297628/inherit",
    "nix-inherit-argv0": "nix-inherit-argv0", "nix-resolve-argv0": "nix-resolve-argv0",
}
"""Builder names of --kind env, and the spec check's flavour each runs."""

REGISTRY: dict[str, type[Any]] = {cls.__name__: cls for cls in (
    drawn.PackageSet, drawn.EnvPackage, drawn.WrapperSpec, envspec.ScriptExpectation,
    fs.File, fs.Dir, fs.Symlink)}


@dataclass(frozen=True)
class EnvCase:
    builder: Builder
    base: Base
    packages: drawn.PackageSet

    @property
    def placement(self) -> Placement:
        """How reports name the case: the packages' features in place of placement names."""
        features = self.packages.features or ("plain",)
        label = f"{len(self.packages.packages)} package(s): {', '.join(features)}"
        return Placement((label,), (), self.base.executable, "env")

    system_site = False

    @property
    def id(self) -> str:
        text = json.dumps(case_json(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def case_json(case: EnvCase) -> dict[str, Any]:
    base = case.base
    return {"builder": {"name": case.builder.name, "command": case.builder.command,
                        "kind": "env"},
            "interpreter": {"version": ".".join(map(str, base.version)),
                            "path": base.executable, "prefix": base.prefix,
                            "libdir": base.libdir, "pyenv_version": base.pyenv_version,
                            "pyenv_root": base.pyenv_root},
            "packages": values.encode(case.packages)}


def from_json(data: dict[str, Any], builder: Builder, base: Base) -> EnvCase:
    packages = values.decode(data.get("packages"), REGISTRY, "packages")
    if not isinstance(packages, drawn.PackageSet):
        raise ValueError("packages: not a package set")
    return EnvCase(builder, base, packages)


def builder(name: str) -> Builder:
    return Builder(name, f"prefixlab build env --flavor {FLAVOURS[name]}", "env")


def strategy(builder: Builder, bases: list[Base]) -> st.SearchStrategy[EnvCase]:
    def of(base: Base) -> st.SearchStrategy[EnvCase]:
        sets = drawn.package_sets((base.version[0], base.version[1]))
        return sets.map(lambda p: EnvCase(builder, base, p))

    return st.sampled_from(bases).flatmap(of)


class _Refused(spec.SpecCheckError):
    """A --cmd builder exited non-zero and made no environment."""

    def __init__(self, command: str, run: Run) -> None:
        super().__init__(command)
        self.command, self.run = command, run


def _by_command(builder: Builder, ran: list[str]) -> spec.Builder:
    """A --cmd template as the spec check's builder: /bin/sh runs it from the directory
    conform was started in, in the caller's environment (without what stage drops), as a
    venv builder's template is run."""
    def build(interpreter: str, roots: Sequence[str], env: str) -> None:
        command = expand(builder, python=interpreter, target=env, packages=tuple(roots))
        ran.append(command)
        environ = {k: v for k, v in os.environ.items() if k not in DROPPED}
        run = run_shell(command, Path(os.getcwd()), BUILD_TIMEOUT, env=environ)
        if run.status != 0 and not os.path.lexists(env):
            raise _Refused(command, run)

    return build


def run_env_case(case: EnvCase, *, keep: bool = False) -> Result:
    """Build and judge one environment case in a new scratch directory.  A --cmd builder is
    held to the reference flavour's spec (what a correct environment does)."""
    root = os.path.realpath(tempfile.mkdtemp(prefix="prefixlab-conform-env-"))
    commanded = case.builder.name not in FLAVOURS
    flavour = "reference" if commanded else FLAVOURS[case.builder.name]
    ran: list[str] = []
    version = (case.base.version[0], case.base.version[1])
    try:
        try:
            checked = spec.check(flavour, case.base.executable, version, case.packages, root,
                                 builder=_by_command(case.builder, ran) if commanded else None)
        except spec.InvalidPackages as error:
            return Result(case, "unstaged", str(error), root=root)  # type: ignore[arg-type]
        except _Refused as refused:
            return Result(case, "refused", _exit(refused.run),  # type: ignore[arg-type]
                          refused.command, root, refused.run)
        except spec.SpecCheckError as error:
            return Result(case, "refused", str(error), root=root)  # type: ignore[arg-type]
        verdicts = tuple(venvpromises.Verdict(v.property, v.ok, (("reason", v.reason),), ())
                         for v in checked.verdicts)
        findings = tuple(Finding(v.property, "builder", (("reason", v.reason),),
                                 (("property", envspec.BY_ID[v.property].statement
                                   if v.property in envspec.BY_ID else v.property),))
                         for v in checked.verdicts if not v.ok)
        command = ran[0] if ran else f"prefixlab build env --flavor {flavour}"
        return Result(case, "judged", root=root, verdicts=verdicts,  # type: ignore[arg-type]
                      findings=findings, command=command)
    finally:
        if not keep:
            remove_tree(root)
