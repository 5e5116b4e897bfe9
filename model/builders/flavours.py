"""What a flavour of ``prefixlab build env`` takes and returns, and the registry of flavours.

A flavour is a pure function ``plan(fs, request) -> EnvPlan``: it merges the packages (usually
with :func:`prefixlab.model.builders.buildenv.merge`) and decides what the interpreter and script
entries of ``bin`` become.  ``reference`` is prefixlab's (model/builders/reference.py, imported
when that flavour is first asked for); the historical nixpkgs builders are emulated as other
flavours, which the real side registers (:func:`register`): their entries carry its stand-in
sitecustomize text, and the model never imports the real side.
"""

from __future__ import annotations

from collections.abc import Callable

from prefixlab.model.speedups import dataclass
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.builders.buildenv import Farm, Package
from prefixlab.model.errors import BadInput, PrefixlabError
from prefixlab.model.world.fs import FsView
from prefixlab.model.builders.plan import Operation
from prefixlab.model.trace import Step


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
    """Relative to the target, for the one writer (impl/builders/writer.py)."""
    farm: Farm
    steps: tuple[Step, ...] = ()
    warnings: tuple[str, ...] = ()


Flavour = Callable[[FsView, EnvRequest], EnvPlan]


def _reference(fs: FsView, request: EnvRequest) -> EnvPlan:
    """prefixlab's own flavour (model/builders/reference.py imports this module: imported
    here on first use)."""
    from prefixlab.model.builders.reference import plan_env

    return plan_env(fs, request)


FLAVOURS: dict[str, Flavour] = {"reference": _reference}
"""Flavour name -> its plan function: ``reference`` and the flavours registered since."""


class UnknownFlavour(BadInput, ValueError):
    """A flavour name nothing registered (the message lists the known ones)."""


def register(name: str, plan: Flavour) -> None:
    """Make ``plan`` the flavour called ``name`` (registering the same function again is
    harmless; another one under a taken name is a mistake)."""
    if FLAVOURS.setdefault(name, plan) is not plan:
        raise PrefixlabError(f"flavour {name!r} is registered already")


def flavour(name: str) -> Flavour:
    """The flavour registered as ``name``."""
    found = FLAVOURS.get(name)
    if found is None:
        raise UnknownFlavour(f"unknown flavour {name!r} (known: {', '.join(sorted(FLAVOURS))})")
    return found
