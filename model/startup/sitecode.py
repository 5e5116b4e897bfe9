"""Code that site runs and the model does not: `import` lines of .pth files, sitecustomize and
usercustomize.

The model never runs such code.  It lists each piece with its file and line and says which
predicted fields it could change.  A few well-known pieces whose effect is known are recognised
by their exact text and reported as changing nothing the model predicts; everything else is
reported as able to change every field, never guessed.
"""

from __future__ import annotations

import re
from typing import Literal

from prefixlab.model.speedups import dataclass

CodeKind = Literal["pth-import", "sitecustomize", "usercustomize"]

NIX_STAND_IN_SHA256 = "03d22b41e5d23531e74a696e73ccc2339c48bb441a4a04d606cef5545ab3ac4d"
"""sha256 of :data:`NIX_STAND_IN_TEXT` (written out: hashlib would load OpenSSL on every
start-up the model predicts; tests/model/startup/test_site.py checks the two agree)."""

NIX_STAND_IN_TEXT = '''\
"""sitecustomize for a nix-classic environment, written by prefixlab.

Like nixpkgs' interpreter sitecustomize: the directories in NIX_PYTHONPATH become site
directories (their .pth files are read) and the variable is removed from the environment.
Outside a virtual environment, NIX_PYTHONEXECUTABLE becomes sys.executable and
sys._base_executable (unless PYTHONEXECUTABLE is set) and NIX_PYTHONPREFIX becomes sys.prefix
and sys.exec_prefix; both variables are removed then.  sys.base_prefix is left alone, as
nixpkgs leaves it.
"""
import os
import site
import sys

_directories = os.environ.pop("NIX_PYTHONPATH", None)
if _directories:
    _known = site._init_pathinfo()
    for _directory in _directories.split(":"):
        # addsitedir returns None when it cannot list the directory; the next call then
        # starts from sys.path again, as nixpkgs' functools.reduce does.
        _known = site.addsitedir(_directory, _known)

if sys.prefix == sys.base_prefix:
    _executable = os.environ.pop("NIX_PYTHONEXECUTABLE", None)
    _prefix = os.environ.pop("NIX_PYTHONPREFIX", None)
    if _executable is not None and "PYTHONEXECUTABLE" not in os.environ:
        sys.executable = sys._base_executable = _executable
    if _prefix is not None:
        sys.prefix = sys.exec_prefix = _prefix
        site.PREFIXES.insert(0, _prefix)
'''
"""The stand-in's text: model/notes.py plans the nix flavours of the notes' build steps with
it, and the real builder writes it (impl/builders/nixsite.py).  It is our own, behaving as
nixpkgs' pkgs/development/interpreters/python/sitecustomize.py does, not a copy of it."""

EVERY_FIELD: tuple[str, ...] = (
    "executable", "base_executable", "prefix", "base_prefix", "exec_prefix",
    "base_exec_prefix", "path", "warnings")


@dataclass(frozen=True)
class CodeNotRun:
    """One piece of code site would run."""

    kind: CodeKind
    file: str
    """The file as site names it (the .pth path joined by site, or the module's file)."""
    line: int | None
    """1-based line number in a .pth file; None for a module."""
    text: str
    """The .pth line (without its line end), or the module name."""
    known_as: str = ""
    """The name of the well-known piece this is, or '' when it is not recognised."""
    may_change: tuple[str, ...] = EVERY_FIELD
    """Outcome fields this code could change."""

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "file": self.file, "line": self.line, "text": self.text,
                "known_as": self.known_as or None, "may_change": list(self.may_change)}


# Exact texts of well-known .pth import lines that change nothing the model predicts.  Their
# effect is on the import system only (meta path finders), which `which` has to consider.
_KNOWN_PTH_LINES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # setuptools' distutils-precedence.pth (setuptools 49.1+; the default moved from 'stdlib'
    # to 'local' in 60.0): adds a finder that serves setuptools' copy of distutils.
    ("setuptools distutils-precedence", re.compile(
        r"import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os\.environ\.get\(var, "
        r"'(?:local|stdlib)'\) == 'local'; enabled and __import__\('_distutils_hack'\)"
        r"\.add_shim\(\); ?")),
    # setuptools' PEP 660 editable installs (__editable__.NAME.pth): a finder mapping the
    # project's top-level names to its source tree.
    ("setuptools editable finder", re.compile(
        r"import (__editable___[\w.]+_finder); \1\.install\(.*\)")),
    # virtualenv's _virtualenv.pth: patches distutils/setuptools install schemes.
    ("virtualenv _virtualenv", re.compile(r"import _virtualenv")),
    # Modules site has already imported: importing them again runs nothing.
    ("already imported", re.compile(r"import[ \t]+(?:os|sys)(?:\s*,\s*(?:os|sys))*\s*;?")),
)


def pth_import(file: str, line: int, text: str) -> CodeNotRun:
    stripped = text.rstrip("\r\n")
    for name, pattern in _KNOWN_PTH_LINES:
        if pattern.fullmatch(stripped.rstrip()):
            return CodeNotRun("pth-import", file, line, stripped, name, ())
    return CodeNotRun("pth-import", file, line, stripped)


NIX_SITECUSTOMIZE = "nixpkgs sitecustomize"

# sha256 of sitecustomize modules whose effect the site stage models exactly.
_KNOWN_MODULES: dict[str, str] = {
    # nixpkgs pkgs/development/interpreters/python/sitecustomize.py @08a3497b, installed as
    # lib/python3.X/site-packages/sitecustomize.py by cpython/default.nix.
    "22933fbbbf8be2f52c7befcb27854364ca1dfdef0c5fb36ffb79c6030263558d": NIX_SITECUSTOMIZE,
    # prefixlab's own stand-in for it (impl/builders/nixsite.py), written by
    # the nix-classic builder flavour.
    NIX_STAND_IN_SHA256: NIX_SITECUSTOMIZE,
}


def customize(kind: Literal["sitecustomize", "usercustomize"], file: str,
              data: bytes = b"") -> CodeNotRun:
    known = ""
    if data:
        import hashlib  # here: loading OpenSSL is felt at every start; few starts have the file

        known = _KNOWN_MODULES.get(hashlib.sha256(data).hexdigest(), "")
    return CodeNotRun(kind, file, None, kind, known, () if known else EVERY_FIELD)
