"""Hypothesis strategies for module resolution: package sets spread over search-path entries.

A package set is a few directories (and maybe a zip archive) under :data:`ROOT`, each holding
modules, regular packages, namespace portions, sourceless ``.pyc`` files and extension-module
files for names from a small pool, so that the same name turns up in several entries
(shadowing), as a module and a package at once, or split across entries (namespace
packages).  It comes with the search path (for PYTHONPATH) and the names to look up,
including built-in and frozen ones.  Built by construction; shrinks toward one directory
holding one module.  Expected answers come from the real interpreter, never from here.
"""

from __future__ import annotations

import io
import zipfile

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from prefixlab.model.speedups import dataclass
from prefixlab.model.strategies._checks import check_strings
from prefixlab.model.strategies.startup import ROOT
from prefixlab.model.world.fs import Dir, File, Layout, Node

NAMES = ("alpha", "beta", "stat", "json")
"""Top-level names: two plain ones, a stdlib module frozen from 3.11 (stat) and a stdlib
package that is not (json)."""
SUBMODULE = "sub"
META_NAMES = ("sys", "_io", "marshal", "os", "zipimport", "posixpath", "__phello__",
              "__phello__.spam", "__hello__", "codecs", "no_such_module_here")
"""Built-in, frozen (always, or from 3.11) and missing names every set also asks about."""

Item = str
ITEMS: tuple[Item, ...] = ("module", "package", "namespace", "bytecode", "extension",
                           "package-bytecode-init", "package-and-module")
"""What one entry can hold for one name."""

_PYC = b"not really bytecode: find_spec does not read it\n"


@dataclass(frozen=True)
class SearchPathSet:
    """Search-path entries and what they hold, under the ROOT placeholder until bound with
    :meth:`at`."""

    nodes: tuple[tuple[str, Node], ...]
    entries: tuple[str, ...]
    """The search path to add (PYTHONPATH order); some entries may be missing or files, some
    relative to ROOT (the working directory to run in)."""
    queries: tuple[str, ...]
    """The names to look up (dotted ones go through their parent)."""
    features: tuple[str, ...] = ()

    def at(self, root: str) -> tuple[Layout, tuple[str, ...]]:
        """The layout and the entries with ROOT bound to ``root``."""
        layout = Layout({path.replace(ROOT, root): node for path, node in self.nodes})
        return layout, tuple(e.replace(ROOT, root) for e in self.entries)


def _put(nodes: dict[str, Node], directory: str, name: str, item: Item, suffix: str,
         with_sub: bool) -> None:
    base = f"{directory}/{name}"
    if item in ("module", "package-and-module"):
        nodes[base + ".py"] = File(b"")
    if item == "bytecode":
        nodes[base + ".pyc"] = File(_PYC)
    if item == "extension":
        nodes[base + suffix] = File(b"\x7fELF not really an extension module\n")
    if item in ("package", "package-and-module"):
        nodes[base + "/__init__.py"] = File(b"")
    if item == "package-bytecode-init":
        nodes[base + "/__init__.pyc"] = File(_PYC)
    if item == "namespace":
        nodes[base] = Dir()
    if with_sub and item not in ("module", "bytecode", "extension"):
        nodes[f"{base}/{SUBMODULE}.py"] = File(b"")


def _zip_bytes(members: list[str]) -> bytes:
    """A zip archive (fixed timestamps: the same set always gives the same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in members:
            archive.writestr(zipfile.ZipInfo(member, (2000, 1, 1, 0, 0, 0)), b"")
    return buffer.getvalue()


def search_path_sets(*, extension_suffixes: tuple[str, ...] = (".so",),
                     names: tuple[str, ...] = NAMES) -> st.SearchStrategy[SearchPathSet]:
    """A set of search-path entries whose extension-module files use ``extension_suffixes``
    (the target interpreter's EXTENSION_SUFFIXES, each starting with '.'), for top-level
    module ``names`` (identifiers; leave out stdlib modules that start-up itself imports when
    site runs: a copy ahead of the stdlib breaks it)."""
    check_strings(extension_suffixes, "extension_suffixes")
    for index, suffix in enumerate(extension_suffixes):
        if not suffix.startswith(".") or "/" in suffix:
            raise InvalidArgument(f"extension_suffixes[{index}]={suffix!r}, but a suffix "
                                  f"starts with '.' and has no '/'")
    check_strings(names, "names")
    for index, name in enumerate(names):
        if not name.isidentifier():
            raise InvalidArgument(f"names[{index}]={name!r}, but a top-level module name "
                                  f"is an identifier")
    return _search_path_sets(tuple(extension_suffixes), tuple(names))


@st.composite
def _search_path_sets(draw: st.DrawFn, extension_suffixes: tuple[str, ...],
                      names: tuple[str, ...]) -> SearchPathSet:
    root = ROOT
    nodes: dict[str, Node] = {}
    entries: list[str] = []
    features: list[str] = []
    for n in range(draw(st.integers(1, 4))):
        directory = f"{root}/e{n}"
        nodes[directory] = Dir()
        # Relative forms are relative to the working directory, which is ROOT.
        form = draw(st.sampled_from(("{d}", "{d}", "./e{n}", "e{n}/")))
        entries.append(form.format(d=directory, n=n))
        for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
            item = draw(st.sampled_from(ITEMS))
            suffix = draw(st.sampled_from(extension_suffixes))
            _put(nodes, directory, name, item, suffix, draw(st.booleans()))
            features.append(item)
    if draw(st.integers(0, 3)) == 0:
        entries.insert(draw(st.integers(0, len(entries))), _zip_entry(draw, nodes, names))
        features.append("zip")
    if draw(st.integers(0, 4)) == 0:
        entries.insert(draw(st.integers(0, len(entries))), f"{root}/missing")
        features.append("missing-entry")
    if draw(st.integers(0, 6)) == 0:
        nodes[f"{root}/plain-file"] = File(b"not a zip\n")
        entries.append(f"{root}/plain-file")
        features.append("file-entry")
    queries = [q for name in names for q in (name, f"{name}.{SUBMODULE}")]
    return SearchPathSet(tuple(sorted(nodes.items())), tuple(entries),
                         tuple(queries) + META_NAMES, tuple(features))


def _zip_entry(draw: st.DrawFn, nodes: dict[str, Node], names: tuple[str, ...]) -> str:
    members: list[str] = []
    for name in draw(st.lists(st.sampled_from(names), max_size=2, unique=True)):
        kind = draw(st.sampled_from(("module", "package", "directory")))
        if kind == "module":
            members.append(f"{name}.py")
        elif kind == "package":
            members += [f"{name}/", f"{name}/__init__.py", f"{name}/{SUBMODULE}.py"]
        else:  # an explicit directory member without __init__: a namespace portion
            members += [f"{name}/", f"{name}/{SUBMODULE}.py"]
    archive = f"{ROOT}/lib.zip"
    nodes[archive] = File(_zip_bytes(members))
    return archive

