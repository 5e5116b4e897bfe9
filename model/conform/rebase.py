"""A placement moved onto another interpreter: the same layout, made of the other
installation.  Used to try a minimal failing case on every interpreter (the table of
promise x interpreter) and to replay a case file on a machine whose interpreter of that
version lives elsewhere.

What moves: absolute paths into the old installation (its binary, stdlib, prefix), and the
path components and texts that name its version: ``pythonX.Y`` (link names, stdlib
directories, decoys), ``X.Y.Z`` and ``X.Y`` (relocated copies, alias directories), the pyenv
version name.  A pyenv-shim placement cannot move onto an interpreter pyenv does not manage.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from prefixlab.model.conform.placement import Base, Placement, WriteText


def _full(base: Base) -> str:
    return ".".join(map(str, base.version))


def mover(old: Base, new: Base) -> Any:
    absolute = sorted(((old.executable, new.executable), (old.stdlib, new.stdlib),
                       (old.prefix, new.prefix)), key=lambda pair: -len(pair[0]))
    names = {f"python{old.xy}": f"python{new.xy}", _full(old): _full(new), old.xy: new.xy}
    if old.pyenv_version and new.pyenv_version:
        names[old.pyenv_version] = new.pyenv_version
    if old.pyenv_root and new.pyenv_root:
        absolute.insert(0, (f"{old.pyenv_root}/shims", f"{new.pyenv_root}/shims"))

    def move(text: str) -> str:
        for before, after in absolute:
            if text == before or text.startswith(before + "/"):
                text = after + text[len(before):]
                break
        return "/".join(names.get(part, part) for part in text.split("/"))

    return move


def rebase(placement: Placement, old: Base, new: Base) -> Placement | None:
    """``placement`` made of ``new`` instead of ``old``; None when it cannot be."""
    if "pyenv-shim" in placement.names and not (new.pyenv_version and new.pyenv_root):
        return None
    move = mover(old, new)

    def op(o: Any) -> Any:
        values = {f.name: getattr(o, f.name) for f in fields(o)}
        for name, value in values.items():
            if not isinstance(value, str):
                continue
            if isinstance(o, WriteText) and name == "text":
                if old.pyenv_version and value == old.pyenv_version + "\n":
                    values[name] = f"{new.pyenv_version}\n"  # a .python-version file
            else:
                values[name] = move(value)  # a path, a link's text, a source, a python
        return type(o)(**values)

    return replace(placement, ops=tuple(op(o) for o in placement.ops),
                   python=move(placement.python), target=placement.target,
                   path=tuple(move(p) for p in placement.path),
                   env=tuple((k, move(v)) for k, v in placement.env),
                   outer=placement.outer,
                   home_link=None if placement.home_link is None else move(placement.home_link))
