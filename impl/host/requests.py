"""What ``--python`` names: a path, a command name on PATH, or a version request.

The spellings are the ones uv and virtualenv take for their ``--python``:

- a value holding a ``/`` is a path, used as it is (uv: "If it contains a path separator,
  we'll treat it as a full path even if it does not exist", ``PythonRequest::parse`` in
  crates/uv-python/src/discovery.rs; virtualenv: "1. if it's an absolute path and exists,
  use that", ``propose_interpreters`` in src/virtualenv/discovery/builtin.py);
- a bare name is looked up on PATH first, as the shell would run it (virtualenv: "4. then
  maybe it's something exact on PATH"; uv looks for a version request's own names,
  ``python3.12``, in each PATH directory in order, ``VersionRequest::default_names``);
- a bare name found nowhere on PATH that reads as a version request -- ``3``, ``3.12``,
  ``3.12.1``, ``312``, ``python3.12``, ``cpython3.12``, ``cp312``, ``cpython@3.12``, a
  trailing ``t`` for a free-threaded build (uv's ``parse_versions_and_implementations``;
  virtualenv's ``-p 3.10``, ``-p python3.8`` in its "Select a Python version" guide) -- is
  chosen among the in-scope interpreters found here (impl/host/interpreters.py
  ``discover``): the highest version that matches (``3.12`` takes the highest 3.12.x, as
  virtualenv-pyenv documents), and two different interpreters of that same version are
  ambiguous.  uv would also download one; prefixlab never does.

:func:`parse` and :func:`choose` are pure; :func:`resolve` looks at PATH and, only for a
version request, discovers the interpreters.  Kept light to import: ``prefixlab build
venv``'s click-free start imports it only for a value that is not an existing path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence

from prefixlab.model.errors import BadInput

TYPE_CHECKING = False  # typing stays off a warm build venv's start-up (model/speedups.py)
if TYPE_CHECKING:
    from typing import Literal, NamedTuple

    from prefixlab.impl.host.interpreters import Interpreter
else:
    from prefixlab.model.speedups import NamedTuple

__all__ = ["Choice", "Request", "RequestError", "choose", "parse", "resolve", "which"]

_VERSION = re.compile(
    r"(?:(?:cpython|cp|python)@?)?"
    r"(?:(?P<compact>3\d{1,2})|(?P<dotted>\d+(?:\.\d+){0,2}))"
    r"(?P<t>t)?")
"""uv's forms: an optional implementation (cpython, cp) or ``python``, an optional ``@``, then
MAJOR[.MINOR[.PATCH]] or the compact 3MM (``312``), then ``t`` for a free-threaded build."""


class RequestError(BadInput):
    """A --python request that names no interpreter, or more than one (one line)."""


class Request(NamedTuple):
    """A --python value as read: a ``path``, a ``name`` (looked up on PATH), or a ``version``
    request (``name`` too when bare: PATH is asked first)."""

    text: str
    kind: Literal["path", "name", "version"]
    version: tuple[int, ...] = ()
    """1 to 3 parts for a version request (``3``, ``3.12``, ``3.12.1``)."""
    free_threaded: bool = False


class Choice(NamedTuple):
    """What --python resolved to: ``python`` is what the builder runs (the value itself for a
    path or a name found on PATH); ``interpreter`` the discovered one a version request chose
    (None otherwise)."""

    python: str
    interpreter: Interpreter | None = None

    def announcement(self) -> str | None:
        """'Using CPython 3.12.1 at /path' for a choice among discovered interpreters."""
        if self.interpreter is None or self.interpreter.version is None:
            return None
        return f"Using CPython {_text(self.interpreter)} at {self.python}"

    def json(self) -> dict[str, object]:
        found = self.interpreter
        return {"python": self.python,
                "version": None if found is None else _text(found),
                "chosen_from_request": found is not None}


def parse(text: str) -> Request:
    """The request a --python value makes (pure)."""
    if "/" in text or not text:
        return Request(text, "path")
    match = _VERSION.fullmatch(text.lower())
    if match is None:
        return Request(text, "name")
    if match["compact"]:
        digits = match["compact"]
        version: tuple[int, ...] = (int(digits[0]), int(digits[1:]))
    else:
        version = tuple(int(part) for part in match["dotted"].split("."))
    return Request(text, "version", version, bool(match["t"]))


def matches(request: Request, interp: Interpreter) -> bool:
    """Does ``interp`` (in scope, with its constants) satisfy the version request?"""
    if interp.version is None or interp.constants is None or not interp.in_scope:
        return False
    if interp.version[:len(request.version)] != request.version:
        return False
    return (interp.constants.abi_thread == "t") == request.free_threaded


def choose(request: Request, found: Sequence[Interpreter]) -> Interpreter:
    """The interpreter a version request names among ``found`` (pure): the highest matching
    version; RequestError, listing the candidates, when none matches or two different
    interpreters share that version."""
    usable = [i for i in found if i.in_scope and i.constants is not None]
    hits = [i for i in usable if matches(request, i)]
    if not hits:
        raise RequestError(f"--python {request.text}: no in-scope interpreter found here "
                           f"matches (found: {_listing(usable)}; add others with "
                           "PREFIXLAB_PYTHONS)")
    best = max(i.version or () for i in hits)
    top = {i.real_path: i for i in hits if i.version == best}
    if len(top) > 1:
        raise RequestError(f"--python {request.text}: ambiguous, {len(top)} interpreters are "
                           f"CPython {_version(best)} (candidates: "
                           f"{_listing(list(top.values()))}); name one by its path")
    return next(iter(top.values()))


def which(name: str, path_var: str | None) -> str | None:
    """The first executable regular file NAME in PATH's directories (as the shell finds a
    command; an empty entry is the working directory), or None."""
    for directory in (os.defpath if path_var is None else path_var).split(os.pathsep):
        candidate = os.path.join(directory or ".", name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def resolve(text: str, *, env: Mapping[str, str] | None = None,
            discover: Callable[[], Sequence[Interpreter]] | None = None) -> Choice:
    """The interpreter --python ``text`` names: a path as it is, a name found on PATH as it
    is (the builder finds it there as the shell would), else a version request chosen among
    the discovered interpreters.  RequestError for a name that is neither."""
    request = parse(text)
    if request.kind == "path":
        return Choice(text)
    environ = os.environ if env is None else env
    if which(text, environ.get("PATH")) is not None:
        return Choice(text)
    if request.kind == "name":
        raise RequestError(f"--python {text}: not found on PATH, and not a version request "
                           "(3.12, 3.12.1, cpython3.12, python3.12) nor a path")
    return choose_among(request, env=environ, discover=discover)


def choose_among(request: Request, *, env: Mapping[str, str] | None = None,
                 discover: Callable[[], Sequence[Interpreter]] | None = None) -> Choice:
    """A version request chosen among the interpreters found here (``discover`` by default
    impl/host/interpreters.py's, for ``env``)."""
    if discover is None:
        from prefixlab.impl.host import interpreters

        def discover() -> Sequence[Interpreter]:
            return interpreters.discover(env)
    chosen = choose(request, discover())
    return Choice(chosen.path, chosen)


def _version(version: tuple[int, ...]) -> str:
    return ".".join(str(n) for n in version)


def _text(interp: Interpreter) -> str:
    free = "t" if interp.constants is not None and interp.constants.abi_thread == "t" else ""
    return _version(interp.version or ()) + free


def _listing(found: Sequence[Interpreter]) -> str:
    return ", ".join(f"{_text(i)} {i.path}" for i in found) or "none"
