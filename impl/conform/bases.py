"""The base interpreters of a campaign: every in-scope interpreter found here
(impl/host/interpreters.py), or those named with --python, as placement :class:`Base` values."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

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


def bases(requested: Sequence[str] = ()) -> list[Base]:
    """Every in-scope interpreter (or the ones ``requested``: paths or names on PATH)."""
    found = [i for i in discover() if i.in_scope and i.constants is not None]
    if not requested:
        return [base_of(i) for i in found]
    by_real = {i.real_path: i for i in found}
    chosen: list[Base] = []
    for name in requested:
        path = name if "/" in name else shutil.which(name)
        if path is None or not os.path.exists(path):
            raise BaseError(f"--python {name!r}: not found")
        interp = by_real.get(os.path.realpath(path))
        if interp is None:
            known = ", ".join(i.path for i in found)
            raise BaseError(f"--python {name!r}: not an in-scope interpreter found here "
                            f"(found: {known}; add others with PREFIXLAB_PYTHONS)")
        chosen.append(base_of(interp))
    return list(dict.fromkeys(chosen))
