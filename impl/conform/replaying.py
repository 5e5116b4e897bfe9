"""``prefixlab conform --replay CASE.json``: a case file run again here.

The case names its interpreter by path and version.  When that path is not an interpreter of
the same version here, the in-scope interpreter of that version found here stands in, and the
placement is moved onto it (its paths into the old installation rewritten).  A built-in
builder whose tool is not where the case file says is looked up again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from prefixlab.impl.conform import bases as basing
from prefixlab.impl.conform import builders
from prefixlab.impl.conform.runcase import Result, run_case
from prefixlab.impl.conform.search import keys
from prefixlab.model.conform import case as casefile
from prefixlab.model.conform.case import Case
from prefixlab.model.conform.placement import Base, Placement
from prefixlab.model.errors import BadInput


@dataclass(frozen=True)
class Replayed:
    path: str
    case: Case
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


def load(path: str) -> tuple[Case, dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        why = getattr(error, "strerror", None) or str(error)
        raise casefile.CaseFileError(f"{path!r}: cannot be read ({why})") from None
    case = casefile.loads(text, path)
    import json

    data = json.loads(text)
    key = data.get("key") if isinstance(data.get("key"), dict) else {}
    return case, key


def rebase(placement: Placement, old: Base, new: Base) -> Placement:
    """``placement`` with every path into ``old``'s installation moved into ``new``'s."""
    pairs = sorted(((old.executable, new.executable), (old.stdlib, new.stdlib),
                    (old.prefix, new.prefix)), key=lambda p: -len(p[0]))

    def move(text: str) -> str:
        for before, after in pairs:
            if text == before or text.startswith(before + "/"):
                return after + text[len(before):]
        return text

    def op(o: Any) -> Any:
        values = {k: move(v) if isinstance(v, str) and k != "path" else v
                  for k, v in vars(o).items()}
        return type(o)(**values)

    return replace(placement, ops=tuple(op(o) for o in placement.ops),
                   python=move(placement.python))


def _here(case: Case) -> tuple[Case, str]:
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
    return replace(case, base=new, placement=rebase(case.placement, case.base, new)), note


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
    here = _builder(here)
    result = run_case(here)
    wanted = (recorded.get("finding"), recorded.get("verdict"))
    reproduced = any((k.finding, k.verdict) == wanted for k in keys(result))
    return Replayed(path, here, recorded, result, reproduced, note)
