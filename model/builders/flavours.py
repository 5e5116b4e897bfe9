"""What a flavour of ``prefixlab build env`` takes and returns, and the registry of flavours.

A flavour is a pure function ``plan(fs, request) -> EnvPlan``: it merges the packages (usually
with :func:`prefixlab.model.builders.buildenv.merge`) and decides what the interpreter and script
entries of ``bin`` become.  ``reference`` is prefixlab's (model/builders/reference.py); the historical
nixpkgs builders are emulated as other flavours.  The registry maps a name to
``module:function`` and imports the module only when that flavour is asked for, so adding a
flavour is one line here and the command's start-up does not pay for the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from prefixlab.model.world.build import BuildConstants
from prefixlab.model.builders.buildenv import Farm, Package
from prefixlab.model.world.fs import FsView
from prefixlab.model.builders.plan import Operation
from prefixlab.model.trace import Step

FLAVOURS: dict[str, str] = {
    "reference": "prefixlab.model.builders.reference:plan_env",
    # the historical nixpkgs builders (model/builders/nix.py; the entries are in impl because
    # they carry impl's stand-in sitecustomize text)
    "nix-classic": "prefixlab.impl.builders.nix:nix_classic",
    "nix-297628": "prefixlab.impl.builders.nix:nix_297628",
    "nix-inherit-argv0": "prefixlab.impl.builders.nix:nix_inherit_argv0",
    "nix-resolve-argv0": "prefixlab.impl.builders.nix:nix_resolve_argv0",
}
"""Flavour name -> 'module:function' (a Flavour)."""


@dataclass(frozen=True)
class BaseInterpreter:
    """The interpreter an environment is built on, as the model sees it (learnt by impl)."""

    binary: str
    """Physical path of the interpreter binary (what the environment's entries start)."""
    build: BuildConstants
    prefix: str
    """Its sys.base_prefix: where its stdlib (lib/pythonX.Y) and headers are."""
    exec_prefix: str
    """Its sys.base_exec_prefix: where lib-dynload and libpython are."""
    given: str = ""
    """--python as the user typed it."""


@dataclass(frozen=True)
class EnvRequest:
    target: str
    """The environment's path: TARGET made absolute, not resolved."""
    interpreter: BaseInterpreter
    packages: tuple[Package, ...]
    ignore_collisions: bool = False
    options: tuple[tuple[str, str], ...] = ()
    """Flavour-specific options by name (e.g. ('argv0-mode', 'inherit'))."""

    def option(self, name: str, default: str = "") -> str:
        return dict(self.options).get(name, default)


@dataclass(frozen=True)
class EnvPlan:
    ops: tuple[Operation, ...]
    """Relative to the target, for prefixlab.impl.builders.writer.apply."""
    farm: Farm
    steps: tuple[Step, ...] = ()
    warnings: tuple[str, ...] = ()


Flavour = Callable[[FsView, EnvRequest], EnvPlan]


class UnknownFlavour(ValueError):
    pass


def flavour(name: str) -> Flavour:
    """The flavour registered as ``name`` (its module imported now)."""
    where = FLAVOURS.get(name)
    if where is None:
        raise UnknownFlavour(f"unknown flavour {name!r} (known: {', '.join(sorted(FLAVOURS))})")
    module, _, function = where.partition(":")
    found: Flavour = getattr(importlib.import_module(module), function)
    return found
