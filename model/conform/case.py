"""A conformance case and its portable JSON form (the case file).

A case is a builder command, a base interpreter, a placement of it and whether the venv is
asked for the base's site-packages.  The case file adds what was expected and observed, so a
finding can be read without rerunning it, and replayed elsewhere (``prefixlab conform
--replay CASE.json``).  Its format, version :data:`FORMAT_VERSION`::

    {"format": "prefixlab-conform-case", "version": 1, "prefixlab": "0.1.0",
     "id": "...",                       # a digest of the case itself
     "builder": {"name": "venv", "command": "{python} -m venv ... {target}", "kind": "venv"},
     "interpreter": {"version": "3.12.1", "path": "...", "prefix": "...", "libdir": "lib",
                     "pyenv_version": "3.12.1" | null, "pyenv_root": "..." | null},
     "placement": {"names": [...], "python": "...", "target": "...", "path": [...],
                   "env": [[K, V], ...], "outer": [...], "home_link": null,
                   "ops": [{"op": "link", "path": "...", "text": "..."}, ...]},
     "system_site": false,
     "failures": [{"promise": "venv.starts", "verdict": "builder" | "fidelity", ...}],
     "expected": {...}, "observed": {...}, "reproducer": "#!/bin/sh ..."}

Paths in the placement are relative to the case's scratch directory, ``{root}`` standing for
it where an absolute name is needed.  Only the keys up to ``system_site`` define the case;
the rest is the report.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import MISSING, fields
from typing import Any, Literal

from prefixlab.model.conform.placement import (
    WRAPPER_KINDS, Base, BuildEnv, BuildVenv, CopyFile, Link, LinkEntries, MakeDir, Op,
    Placement, Wrap, WriteText)
from prefixlab.model.errors import BadInput
from prefixlab.model.speedups import dataclass

FORMAT = "prefixlab-conform-case"
FORMAT_VERSION = 1

_OPS: dict[str, type[Any]] = {"mkdir": MakeDir, "link": Link, "write": WriteText,
                              "copy": CopyFile, "link-entries": LinkEntries, "wrap": Wrap,
                              "build-venv": BuildVenv, "build-env": BuildEnv}
_OP_NAMES = {cls: name for name, cls in _OPS.items()}


class CaseFileError(BadInput):
    """A case file that cannot be read (one line naming the file and what is wrong)."""


@dataclass(frozen=True)
class Builder:
    name: str
    """A built-in adapter's name, or 'cmd' for a --cmd template."""
    command: str
    """The template, placeholders unexpanded."""
    kind: Literal["venv", "env"] = "venv"


@dataclass(frozen=True)
class Case:
    builder: Builder
    base: Base
    placement: Placement
    system_site: bool = False

    @property
    def id(self) -> str:
        """A short digest of what defines the case: equal cases share it."""
        text = json.dumps(case_json(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def op_json(op: Op) -> dict[str, Any]:
    return {"op": _OP_NAMES[type(op)], **{f.name: getattr(op, f.name) for f in fields(op)}}


def case_json(case: Case) -> dict[str, Any]:
    """The keys that define the case (no id, no results)."""
    base, placement = case.base, case.placement
    return {
        "builder": {"name": case.builder.name, "command": case.builder.command,
                    "kind": case.builder.kind},
        "interpreter": {"version": ".".join(map(str, base.version)), "path": base.executable,
                        "prefix": base.prefix, "libdir": base.libdir,
                        "pyenv_version": base.pyenv_version, "pyenv_root": base.pyenv_root},
        "placement": {"names": list(placement.names), "python": placement.python,
                      "target": placement.target, "path": list(placement.path),
                      "env": [list(item) for item in placement.env],
                      "outer": list(placement.outer), "home_link": placement.home_link,
                      "ops": [op_json(op) for op in placement.ops]},
        "system_site": case.system_site,
    }


def to_file(case: Case, prefixlab_version: str, report: dict[str, Any]) -> dict[str, Any]:
    """The case file's object: the format header, the id, the case and ``report``."""
    return {"format": FORMAT, "version": FORMAT_VERSION, "prefixlab": prefixlab_version,
            "id": case.id, **case_json(case), **report}


def _need(data: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise ValueError(f"{where}: missing {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ValueError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a list of strings")
    return tuple(value)


def _op(data: Any, where: str) -> Op:
    name = _need(data, "op", str, where)
    cls = _OPS.get(name)
    if cls is None:
        raise ValueError(f"{where}.op: unknown operation {name!r}")
    values = {}
    for f in fields(cls):
        if f.name in data:
            values[f.name] = data[f.name]
        elif f.default is MISSING:
            raise ValueError(f"{where}: {name} needs {f.name!r}")
    for f in fields(cls):
        # the annotation is a string here (from __future__ import annotations)
        want = bool if f.type == "bool" else str
        if f.name in values and not isinstance(values[f.name], want):
            raise ValueError(f"{where}.{f.name}: expected a "
                             f"{'boolean' if want is bool else 'string'}")
    if cls is Wrap and values["kind"] not in WRAPPER_KINDS:
        raise ValueError(f"{where}.kind: {values['kind']!r} is not one of "
                         f"{', '.join(WRAPPER_KINDS)}")
    op: Op = cls(**values)
    return op


def _version(text: str, where: str) -> tuple[int, int, int]:
    parts = text.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{where}: expected a version X.Y.Z, got {text!r}")
    return int(parts[0]), int(parts[1]), int(parts[2])


def from_json(data: Any) -> Case:
    """The case a case file's object defines (ValueError naming the bad key)."""
    if _need(data, "format", str, "case") != FORMAT:
        raise ValueError(f"format: not a {FORMAT} file")
    version = _need(data, "version", int, "case")
    if version != FORMAT_VERSION:
        raise ValueError(f"version: {version} is not supported (this prefixlab reads "
                         f"{FORMAT_VERSION})")
    b = _need(data, "builder", dict, "case")
    kind = _need(b, "kind", str, "builder")
    if kind not in ("venv", "env"):
        raise ValueError(f"builder.kind: {kind!r} is neither 'venv' nor 'env'")
    builder = Builder(_need(b, "name", str, "builder"), _need(b, "command", str, "builder"),
                      "venv" if kind == "venv" else "env")
    i = _need(data, "interpreter", dict, "case")
    optional = {k: i.get(k) for k in ("pyenv_version", "pyenv_root")}
    for key, value in optional.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"interpreter.{key}: expected a string or null")
    base = Base(_need(i, "path", str, "interpreter"), _need(i, "prefix", str, "interpreter"),
                _version(_need(i, "version", str, "interpreter"), "interpreter.version"),
                optional["pyenv_version"], optional["pyenv_root"],
                _need(i, "libdir", str, "interpreter"))
    p = _need(data, "placement", dict, "case")
    env = _need(p, "env", list, "placement")
    if not all(isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)
               for e in env):
        raise ValueError("placement.env: expected a list of [name, value] pairs")
    for name, _ in env:
        # a name as POSIX defines it (XBD 3.235): stage sets it, the reproducer exports it
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"placement.env: {name!r} is not a variable name")
    home_link = p.get("home_link")
    if home_link is not None and not isinstance(home_link, str):
        raise ValueError("placement.home_link: expected a string or null")
    ops = _need(p, "ops", list, "placement")
    placement = Placement(
        _strings(_need(p, "names", list, "placement"), "placement.names"),
        tuple(_op(op, f"placement.ops[{n}]") for n, op in enumerate(ops)),
        _need(p, "python", str, "placement"), _need(p, "target", str, "placement"),
        _strings(_need(p, "path", list, "placement"), "placement.path"),
        tuple((k, v) for k, v in env),
        _strings(_need(p, "outer", list, "placement"), "placement.outer"), home_link)
    return Case(builder, base, placement, bool(_need(data, "system_site", bool, "case")))


def loads(text: str, source: str) -> Case:
    """The case in a case file's text; :class:`CaseFileError` names ``source`` and the
    problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CaseFileError(f"{source!r}: not JSON ({error.msg} at line {error.lineno})") from None
    except (ValueError, RecursionError) as error:
        # json's own limits: an int of more than sys.get_int_max_str_digits() digits
        # (ValueError), nesting deeper than the recursion limit (RecursionError)
        raise CaseFileError(f"{source!r}: not JSON prefixlab reads ({error})") from None
    try:
        case = from_json(data)
        # JSON's \u escapes may name a lone surrogate; a name holds only those PEP 383 gives
        # undecodable bytes (U+DC80..U+DCFF), which Case.id encodes back
        _ = case.id
        return case
    except UnicodeEncodeError as error:
        raise CaseFileError(f"{source!r}: {error.object[error.start:error.end]!r} is a lone "
                            "surrogate, not a character a name can hold") from None
    except (ValueError, TypeError) as error:
        raise CaseFileError(f"{source!r}: {error}") from None
