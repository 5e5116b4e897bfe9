"""prefixlab's stand-in for nixpkgs' interpreter ``sitecustomize.py``.

The nix-classic builder flavour installs this text as the interpreter's sitecustomize.  It
behaves as nixpkgs' module does (NixOS/nixpkgs
pkgs/development/interpreters/python/sitecustomize.py, as of commit 08a3497b), in the same
order, and the site stage recognises it by its digest and models its effect.  It is our own
text: nixpkgs' file is not copied.
"""

from __future__ import annotations

import hashlib

SITECUSTOMIZE_TEXT = '''\
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


def digest() -> str:
    return hashlib.sha256(SITECUSTOMIZE_TEXT.encode("utf-8")).hexdigest()
