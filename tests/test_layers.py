"""The import layers: the model never reaches the real side, and the builders and the host
never reach the command line.

prefixlab.model is pure (values in, values out) and is compiled on its own with mypyc; the
real side (prefixlab.impl) builds on it, never the other way round.  Every module is parsed,
not imported, so that an import inside a function or behind ``if TYPE_CHECKING`` counts as
much as one at the top, and a module name in a string (importlib.import_module,
``__import__``, a registry of ``"module:function"`` entries) counts as an import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO

PACKAGES = {"model": "prefixlab.model", "impl": "prefixlab.impl"}
"""Folder -> import name (pyproject.toml's package-dir)."""


def module_name(path: Path) -> tuple[str, bool]:
    """The import name of a source file below the repository, and whether it is a package."""
    folder, *rest = path.relative_to(REPO).with_suffix("").parts
    package = rest[-1:] == ["__init__"]
    parts = [PACKAGES[folder], *(rest[:-1] if package else rest)]
    return ".".join(parts), package


def imported(source: str, module: str, *, package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in ``source``, the source of ``module``.
    ``from A import b`` gives A and A.b (b may be a submodule); relative imports are resolved
    against ``module``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, package)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _absolute(node: ast.ImportFrom, module: str, package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    keep = len(parts) - node.level + (1 if package else 0)
    return ".".join(parts[:keep] + ([node.module] if node.module else []))


def violations(source: str, module: str, forbidden: str, *, package: bool = False
               ) -> list[tuple[int, str]]:
    """Where ``source`` imports ``forbidden`` or a module below it, or names it in a string
    constant (docstrings included): (line, what), in line order."""
    found = {(line, f"imports {name}") for line, name in imported(source, module,
                                                                   package=package)
             if name == forbidden or name.startswith(forbidden + ".")}
    found |= {(node.lineno, f"names {forbidden} in a string")
              for node in ast.walk(ast.parse(source))
              if isinstance(node, ast.Constant) and isinstance(node.value, str)
              and forbidden in node.value}
    return sorted(found)


def layer_violations(folder: str, forbidden: str) -> list[str]:
    problems = []
    for path in sorted((REPO / folder).rglob("*.py")):
        module, package = module_name(path)
        problems += [f"{path.relative_to(REPO)}:{line}: {what}"
                     for line, what in violations(path.read_text(), module, forbidden,
                                                  package=package)]
    return problems


def test_the_model_does_not_reach_the_real_side() -> None:
    assert layer_violations("model", "prefixlab.impl") == []
    # Comments too, which the parse does not see: the model does not name the real side's
    # modules at all (it says impl/... for a file there, as a path).
    assert [str(p.relative_to(REPO)) for p in sorted((REPO / "model").rglob("*.py"))
            if "prefixlab.impl" in p.read_text()] == []


@pytest.mark.parametrize("folder", ["impl/builders", "impl/host"])
def test_builders_and_host_do_not_reach_the_command_line(folder: str) -> None:
    assert layer_violations(folder, "prefixlab.impl.cli") == []


BAD_MODULE = '''\
"""A model module that reaches prefixlab.impl.host in its docstring."""
import prefixlab.impl
import prefixlab.impl.host.snapshot as snapshot
from prefixlab.impl.builders import nix
from prefixlab import impl
from prefixlab import model, impl as real
from ... import impl as up
import importlib


def later() -> None:
    from prefixlab.impl.cli.main import main
    importlib.import_module("prefixlab.impl.builders.nix")
    __import__("prefixlab.impl")


REGISTRY = {"nix": "prefixlab.impl.builders.nix:nix_classic"}
'''

GOOD_MODULE = '''\
"""A model module: the real side is impl/builders/nix.py, by path."""
import prefixlab.model.world.fs
from prefixlab.model import errors
from prefixlab import model
from .. import paths
from prefixlab.implementation_notes import x  # another name that starts the same
'''


def test_the_checker_finds_every_way_of_naming_a_module() -> None:
    found = violations(BAD_MODULE, "prefixlab.model.world.fs", "prefixlab.impl")
    assert sorted({line for line, what in found if what.startswith("imports")}) == [
        2, 3, 4, 5, 6, 7, 12]
    assert [line for line, what in found if what.endswith("in a string")] == [1, 13, 14, 17]
    assert violations(GOOD_MODULE, "prefixlab.model.world.fs", "prefixlab.impl") == []


def test_relative_imports_are_resolved_against_the_module() -> None:
    source = "from .. import impl\nfrom . import cli\n"
    assert [name for _, name in imported(source, "prefixlab.model.errors")] == [
        "prefixlab", "prefixlab.impl", "prefixlab.model", "prefixlab.model.cli"]
    assert [name for _, name in imported(source, "prefixlab.impl", package=True)] == [
        "prefixlab", "prefixlab.impl", "prefixlab.impl", "prefixlab.impl.cli"]
    assert violations("from . import cli\n", "prefixlab.impl.builders", "prefixlab.impl.cli",
                      package=True) == []
    assert violations("from .. import cli\n", "prefixlab.impl.builders.venv",
                      "prefixlab.impl.cli") == [(1, "imports prefixlab.impl.cli")]
