"""The optional mypyc build of the model (``make compiled``, bench/compiled.py): what goes into
it, the stamp that ties a build to the exact sources it was made from, and the check that lets
``prefixlab`` run it (``PREFIXLAB_COMPILED=DIR``) only when it was made from the installed
sources.  A stale build answers for other code, so it is never used."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

ENTRY = "prefixlab.model.startup.predict"
"""Every model module a prediction imports (this module's import closure) is compiled; the
others (strategies, ...) run as Python next to them (calls between the two are ordinary
calls)."""
NOT_COMPILED: frozenset[str] = frozenset({"prefixlab.model", "prefixlab.model.speedups",
                                          "prefixlab.model.trace"})
"""Modules of the closure left as Python: the package's own __init__ (its names are resolved
on first use through a module __getattr__, PEP 562, which the compiled module does not
survive: importing it crashed), speedups' NamedTuple metaclass (mypyc cannot compile a
class that inherits from a builtin type such as ``type``), and trace, whose NamedTuple comes
from speedups in an ``else`` of ``if TYPE_CHECKING`` (mypy deems that branch unreachable, so
the compiled module fails at import with 'Reached allegedly unreachable code')."""
STAMP_NAME = "SOURCES"
"""The file, at the top of a build, holding the stamp of the sources it was made from."""


def sources(model: Path) -> list[Path]:
    """The files of a model package (the source files and their data)."""
    return sorted(p for p in model.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix in (".py", ".toml", ".json", ".typed"))


def stamp(model: Path) -> str:
    """The hash of every source file (path and bytes) and of the module list."""
    digest = hashlib.sha256(repr((ENTRY, sorted(NOT_COMPILED))).encode())
    for path in sources(model):
        digest.update(str(path.relative_to(model)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def installed_model() -> Path | None:
    """The directory the Python package prefixlab.model is imported from (not importing it)."""
    spec = importlib.util.find_spec("prefixlab.model")
    locations = spec.submodule_search_locations if spec is not None else None
    return Path(list(locations)[0]) if locations else None


def why_not_usable(root: Path) -> str:
    """'' when the build at ``root`` was made from the installed model's sources, else why
    not, in a few words."""
    built = root / STAMP_NAME
    if not built.is_file():
        return f"no compiled build there ({STAMP_NAME} missing; run: make compiled)"
    model = installed_model()
    if model is None:
        return "prefixlab.model is not installed"
    if built.read_text().strip() != stamp(model):
        return "the build is stale: the model's sources changed since (run: make compiled)"
    return ""
