"""The base interpreters of a campaign: every in-scope interpreter found here
(impl/host/interpreters.py), or those named with --python, as placement :class:`Base` values."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence

from prefixlab.impl.host import requests
from prefixlab.impl.host.interpreters import Interpreter, discover
from prefixlab.model.conform.placement import Base
from prefixlab.model.errors import BadInput


class BaseError(BadInput):
    """A --python that names no in-scope interpreter found here (one line)."""


def _pyenv(real_path: str) -> tuple[str | None, str | None]:
    """The pyenv version name and root of an interpreter inside PYENV_ROOT/versions/NAME."""
    root = os.path.realpath(os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv"))
    versions = os.path.join(root, "versions") + "/"
    if not real_path.startswith(versions):
        return None, None
    name = real_path[len(versions):].split("/", 1)[0]
    return name, root if os.path.isdir(os.path.join(root, "shims")) else None


def base_of(interp: Interpreter) -> Base:
    assert interp.constants is not None and interp.version is not None
    name, root = _pyenv(interp.real_path)
    return Base(interp.real_path, interp.constants.prefix, interp.version, name if root else None,
                root, interp.constants.platlibdir)


def bases(requested: Sequence[str] = (),
          announce: Callable[[str], None] | None = None) -> list[Base]:
    """Every in-scope interpreter (or the ones ``requested``: paths, names on PATH, or
    version requests such as 3.12 chosen among them, impl/host/requests.py).  ``announce``
    hears 'Using CPython X.Y.Z at PATH' for each version request's choice."""
    found = [i for i in discover() if i.in_scope and i.constants is not None]
    if not requested:
        return [base_of(i) for i in found]
    chosen: list[Base] = []
    for name in requested:
        interp, line = _requested(name, found)
        if line is not None and announce is not None:
            announce(line)
        chosen.append(base_of(interp))
    return list(dict.fromkeys(chosen))


def _requested(name: str, found: list[Interpreter]) -> tuple[Interpreter, str | None]:
    """The interpreter --python NAME names among ``found``, and the announcement of a
    version request's choice (None for a path or a name on PATH)."""
    by_real = {i.real_path: i for i in found}
    try:
        choice = requests.resolve(name, discover=lambda: found)
    except requests.RequestError as error:
        raise BaseError(str(error)) from None
    if choice.interpreter is not None:
        return choice.interpreter, choice.announcement()
    path = name if "/" in name else shutil.which(name)
    interp = by_real.get(os.path.realpath(path)) if path and os.path.exists(path) else None
    if interp is None and path is not None and "/" not in name:
        # A command on PATH that is no interpreter binary (a pyenv shim): the one it runs,
        # as uv takes the interpreter a PATH candidate reports when queried.
        interp = by_real.get(_binary_run_by(path) or "")
    if interp is not None:
        return interp, None
    request = requests.parse(name)
    if request.kind == "version":
        # Its own name on PATH cannot start (a pyenv shim of a version not selected): the
        # request is chosen among the interpreters found here, as build venv does.
        try:
            picked = requests.choose_among(request, discover=lambda: found)
        except requests.RequestError as error:
            raise BaseError(str(error)) from None
        assert picked.interpreter is not None
        return picked.interpreter, picked.announcement()
    if path is None or not os.path.exists(path):
        raise BaseError(f"--python {name!r}: not found")
    known = ", ".join(i.path for i in found)
    raise BaseError(f"--python {name!r}: not an in-scope interpreter found here "
                    f"(found: {known}; add others with PREFIXLAB_PYTHONS)")


def _binary_run_by(command: str) -> str | None:
    """The real path of the binary that ``command`` runs as its interpreter (sys.executable,
    resolved), asked of it; None when it does not start."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    try:
        done = subprocess.run([command, "-c", "import os, sys; "
                               "print(os.path.realpath(sys.executable))"],
                              capture_output=True, text=True, timeout=30, env=env,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.splitlines()
    return lines[-1] if done.returncode == 0 and lines else None
