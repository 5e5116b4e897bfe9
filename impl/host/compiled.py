"""The mypyc build of the model (``make compiled``, bench/compiled.py): what goes into it,
the stamp that ties a build to the exact sources it was made from, where ``prefixlab`` finds
it, and the check, at every start, that it was made from the installed sources.  A stale
build answers for other code, so it is never used.

Where: a checkout's build lives in its ``build/mypyc``.  An installed prefixlab finds it from
its own sources: the editable install's files are links into the checkout (``make dev``
installs in setuptools' strict editable mode), so the real path of the installed
``prefixlab/model`` is the checkout's ``model/``, and the build is ``../build/mypyc`` beside
it.  ``PREFIXLAB_COMPILED=DIR`` names another build; ``PREFIXLAB_COMPILED=0`` turns the
build off (the Python package runs).  A wheel built with ``PREFIXLAB_MYPYC=1`` holds the
compiled modules itself and needs none of this.

Cost: the check runs at every start, so it is a comparison of ``stat()`` results (size and
modification time of every installed source file, against the list the build wrote:
``FILES``), about 0.1 ms here; only when they differ (a checkout switched branches, a file
touched) are the sources hashed (sha256 over ~1 MB, 8-25 ms), and when the hash still matches,
``FILES`` is rewritten so that the next start takes the fast way again; when it does not,
the files are recorded in ``STALE``, and the next start says so by ``stat()`` alone.

This module imports only ``os`` at the top: it runs before prefixlab's own start-up (the
click-free ``build venv`` must stay fast)."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing itself takes 10 ms to import, which `build venv` does not
if TYPE_CHECKING:
    from pathlib import Path

ENTRY = "prefixlab.model.startup.predict"
"""Every model module a prediction imports (this module's import closure) is compiled; the
others (strategies, ...) run as Python next to them (calls between the two are ordinary
calls)."""
NOT_COMPILED: frozenset[str] = frozenset({"prefixlab.model", "prefixlab.model.speedups",
                                          "prefixlab.model.trace",
                                          "prefixlab.model.valueclass"})
"""Modules of the closure left as Python: the package's own __init__ (its names are resolved
on first use through a module __getattr__, PEP 562, which the compiled module does not
survive: importing it crashed), speedups' NamedTuple metaclass (mypyc cannot compile a
class that inherits from a builtin type such as ``type``), trace, whose NamedTuple comes
from speedups in an ``else`` of ``if TYPE_CHECKING`` (mypy deems that branch unreachable, so
the compiled module fails at import with 'Reached allegedly unreachable code'), and
valueclass, which speedups loads to make the Python package's dataclasses (a compiled
module's dataclasses are mypyc's, made by dataclasses itself)."""
STAMP_NAME = "SOURCES"
"""The file, at the top of a build, holding the stamp of the sources it was made from."""
FILES_NAME = "FILES"
"""The file, at the top of a build, that makes the check at start-up cheap: a first line
naming the extension suffix the build was made for (its interpreter's ABI), then one line
per source file, ``size mtime_ns path``, as ``stat()`` saw them."""
STALE_NAME = "STALE"
"""The ``FILES`` lines (without the first) of sources found, by their hash, to differ from
the build's: a start that sees them again says the build is stale without hashing."""
SUFFIXES = (".py", ".toml", ".json", ".typed")
"""What a model package's source files are (code and the data it reads)."""
RACY_NS = 2_000_000_000
"""A file modified this close before its ``stat()`` was recorded is not trusted by the fast
check (a write in the same clock tick keeps the time; git's index has the same 'racy' rule):
it is recorded with size -1, so the check hashes the sources once and then records it."""
OFF = "0"
"""``PREFIXLAB_COMPILED=0``: the Python package, whatever is built."""


def sources(model: Path) -> list[Path]:
    """The files of a model package (the source files and their data)."""
    return sorted(p for p in model.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix in SUFFIXES)


def stamp(model: Path) -> str:
    """The hash of every source file (path and bytes) and of the module list."""
    import hashlib

    digest = hashlib.sha256(repr((ENTRY, sorted(NOT_COMPILED))).encode())
    for path in sources(model):
        digest.update(str(path.relative_to(model)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def installed_model() -> Path | None:
    """The directory the Python package prefixlab.model is imported from (not importing it)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("prefixlab.model")
    locations = spec.submodule_search_locations if spec is not None else None
    return Path(list(locations)[0]) if locations else None


def _model_dir() -> str:
    """The installed prefixlab/model, found from this file (prefixlab/impl/host/compiled.py)
    without importing anything: the two subpackages are installed side by side."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "model")


def default_root() -> str:
    """Where the build of the installed sources is looked for when no PREFIXLAB_COMPILED is
    set: ``build/mypyc`` of the checkout the installed model's files lead to (a path that
    holds no build for any other kind of install)."""
    real = os.path.dirname(os.path.realpath(os.path.join(_model_dir(), "__init__.py")))
    return os.path.join(os.path.dirname(real), "build", "mypyc")


def extension_suffix() -> str:
    """This interpreter's extension-module suffix (its ABI): a build loads only where it is
    the one the build was made with."""
    import importlib.machinery

    return importlib.machinery.EXTENSION_SUFFIXES[0]


def file_stats(model: str, now_ns: int | None = None) -> list[str]:
    """The ``FILES`` lines of a model package's source files (sorted by path); with
    ``now_ns`` (the time they are recorded), a file modified too recently gets size -1."""
    lines = []
    todo = [""]
    while todo:
        rel = todo.pop()
        with os.scandir(os.path.join(model, rel)) as entries:
            for entry in entries:
                name = os.path.join(rel, entry.name) if rel else entry.name
                if entry.is_dir():
                    if entry.name != "__pycache__":
                        todo.append(name)
                elif entry.name.endswith(SUFFIXES) and entry.is_file():
                    st = entry.stat()  # of the file a link leads to, as an import reads it
                    racy = now_ns is not None and st.st_mtime_ns > now_ns - RACY_NS
                    lines.append(f"{-1 if racy else st.st_size} {st.st_mtime_ns} {name}")
    return sorted(lines, key=lambda line: line.split(" ", 2)[2])


def write_files(root: str, model: str, suffix: str, lines: list[str] | None = None,
                name: str = FILES_NAME) -> None:
    """Write ``root``'s FILES for the sources in ``model`` (atomically: a start may be
    reading it); STALE (``name``) takes the lines alone."""
    import time

    lines = file_stats(model, time.time_ns()) if lines is None else lines
    temporary = os.path.join(root, f".{name}.{os.getpid()}")
    with open(temporary, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("\n".join(lines if name == STALE_NAME else [suffix, *lines]) + "\n")
    os.replace(temporary, os.path.join(root, name))


def why_not_usable(root: str | Path, model: str | None = None) -> str:
    """'' when the build at ``root`` was made from the installed model's sources (``model``,
    by default the one installed beside this module) for this interpreter, else why not, in
    a few words (starting 'no compiled build' when there is none)."""
    root = os.fspath(root)
    model = _model_dir() if model is None else model
    try:
        with open(os.path.join(root, STAMP_NAME), encoding="ascii") as f:
            built = f.read().strip()
    except (OSError, ValueError):  # ValueError: not ASCII, so not a stamp either
        return f"no compiled build there ({STAMP_NAME} missing; run: make compiled)"
    try:
        with open(os.path.join(root, FILES_NAME), encoding="utf-8",
                  errors="surrogateescape") as f:
            suffix, *recorded = f.read().splitlines()
    except (OSError, ValueError):
        suffix, recorded = extension_suffix(), []  # a build made before FILES: hash
    if suffix != extension_suffix():
        return (f"it was built for another interpreter ({suffix}, this is "
                f"{extension_suffix()}; run: make compiled)")
    try:
        now = file_stats(model)
    except OSError:
        return "prefixlab.model is not installed"
    if now == recorded:
        return ""
    stale = "the build is stale: the model's sources changed since (run: make compiled)"
    try:
        with open(os.path.join(root, STALE_NAME), encoding="utf-8",
                  errors="surrogateescape") as f:
            if f.read().splitlines() == now:
                return stale
    except OSError:
        pass
    from pathlib import Path

    try:
        current = built == stamp(Path(model))
    except OSError:  # a source file gone between the listing and the read: changing now
        return stale
    try:  # so that the next start with these files need not hash
        write_files(root, model, suffix, None if current else now,
                    FILES_NAME if current else STALE_NAME)
    except OSError:
        pass
    return "" if current else stale
