"""``prefixlab conform --replay CASE.json``: a case file run again here.

The case names its interpreter by path and version.  When that path is not an interpreter of
the same version here, the in-scope interpreter of that version found here stands in, and the
placement is moved onto it (its paths into the old installation rewritten).  A built-in
builder whose tool is not where the case file says is looked up again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from typing import Any

from prefixlab.impl.conform import bases as basing
from prefixlab.impl.conform import builders
from prefixlab.impl.conform.runcase import Result, run_case
from prefixlab.impl.conform.search import keys
from prefixlab.model.conform import case as casefile
from prefixlab.model.conform.case import Case
from prefixlab.model.conform.rebase import rebase
from prefixlab.model.errors import BadInput


@dataclass(frozen=True)
class Replayed:
    path: str
    case: Any
    """A venv case, or an environment case (impl/conform/envcase.py)."""
    recorded: dict[str, Any]
    result: Result
    reproduced: bool
    note: str = ""

    def lines(self) -> list[str]:
        key = self.recorded
        what = f"{key.get('finding')} on CPython {key.get('version')}"
        head = f"case {self.case.id} ({self.path}): {what}"
        out = [head]
        if self.note:
            out.append(f"  note: {self.note}")
        if self.result.status != "judged":
            out.append(f"  not judged here: {self.result.status}: {self.result.why}")
        if self.reproduced:
            out.append("  reproduces:")
            for f in self.result.failures + self.result.fidelity:
                observed = ", ".join(f"{k} = {v}" for k, v in f.observed)
                expected = ", ".join(f"{k} = {v}" for k, v in f.expected)
                out.append(f"    {f.key}: observed {observed}; expected {expected}")
        else:
            out.append("  no longer reproduces: "
                       + ("every promise held" if not self.result.findings else
                          "other findings: " + ", ".join(f.key for f in self.result.findings)))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"schema": 1, "case": self.case.id, "file": self.path,
                "recorded": self.recorded, "reproduced": self.reproduced, "note": self.note,
                "status": self.result.status, "why": self.result.why,
                "findings": [{"promise": f.key, "verdict": f.verdict,
                              "observed": dict(f.observed), "expected": dict(f.expected)}
                             for f in self.result.findings]}


def load(path: str) -> tuple[Any, dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        why = getattr(error, "strerror", None) or str(error)
        raise casefile.CaseFileError(f"{path!r}: cannot be read ({why})") from None
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else None
    except (ValueError, RecursionError):
        data = None  # casefile.loads says what is wrong with it, in one line
    if isinstance(data, dict) and isinstance(data.get("builder"), dict) \
            and data["builder"].get("kind") == "env":
        case: Any = _env_case(data, path)
    else:
        case = casefile.loads(text, path)
    key: dict[str, Any] = {}
    if isinstance(data, dict) and isinstance(data.get("key"), dict):
        key = data["key"]
    return case, key


def _env_case(data: dict[str, Any], path: str) -> Any:
    from prefixlab.impl.conform import envcase

    try:
        shell = casefile.from_json({**data, "placement": {
            "names": [], "python": "", "target": "", "path": [], "env": [], "outer": [],
            "ops": []}, "system_site": False})
        return envcase.from_json(data, shell.builder, shell.base)
    except (ValueError, TypeError) as error:
        raise casefile.CaseFileError(f"{path!r}: {error}") from None


def _here(case: Any) -> tuple[Any, str]:
    found = basing.bases()
    same = [b for b in found if b.executable == os.path.realpath(case.base.executable)
            and b.version == case.base.version]
    if same:
        return replace(case, base=same[0]), ""
    stand_in = [b for b in found if b.version == case.base.version]
    if not stand_in:
        version = ".".join(map(str, case.base.version))
        raise BadInput(f"the case needs CPython {version} ({case.base.executable}); no "
                       "in-scope interpreter of that version was found here")
    new = stand_in[0]
    note = f"{case.base.executable} is not here; {new.executable} stands in"
    if case.builder.kind == "env":
        return replace(case, base=new), note
    moved = rebase(case.placement, case.base, new)
    if moved is None:
        raise BadInput(f"the case's placement cannot be made of {new.executable} (a pyenv shim "
                       "placement needs an interpreter pyenv manages)")
    return replace(case, base=new, placement=moved), note


def _builder(case: Case) -> Case:
    name = case.builder.name
    if name in builders.VENV_ADAPTERS:
        tool = builders.VENV_ADAPTERS[name][0]
        if tool:
            first = case.builder.command.split(" ", 1)[0]
            if not os.path.exists(first.strip("'")):
                return replace(case, builder=builders.adapter(name))
    return case


def replay_file(path: str) -> Replayed:
    case, recorded = load(path)
    here, note = _here(case)
    if here.builder.kind == "env":
        from prefixlab.impl.conform import envcase

        result = envcase.run_env_case(here)
    else:
        result = run_case(_builder(here))
    wanted = (recorded.get("finding"), recorded.get("verdict"))
    reproduced = any((k.finding, k.verdict) == wanted for k in keys(result))
    return Replayed(path, here, recorded, result, reproduced, note)
