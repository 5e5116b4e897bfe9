"""A prediction against a probe: key by key, the values both must agree on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prefixlab.impl.render.text import LABELS, plain, show
from prefixlab.model.outcome import FIELDS, SCHEMA, Outcome
from prefixlab.model.startup.schemes import KEYS as INSTALL_KEYS


@dataclass(frozen=True)
class Comparison:
    rows: tuple[tuple[str, str, str, bool, str], ...]
    """(key, predicted, probed, equal, indexed key): the key is '' on a list's later rows,
    where the indexed key says which entry it is (sys.path[3])."""
    differences: tuple[str, ...]
    notes: tuple[str, ...]

    def to_json(self, predicted: Outcome, probed: Outcome) -> dict[str, Any]:
        mine, theirs = predicted.comparable(), probed.comparable()
        return {"schema": SCHEMA, "equal": not self.differences,
                "differences": {k: {"predicted": mine.get(k), "probed": theirs.get(k)}
                                for k in self.differences},
                "notes": [plain(n) for n in self.notes],
                "predicted": predicted.to_json(), "probed": probed.to_json(with_trace=False)}


def compare(predicted: Outcome, probed: Outcome) -> Comparison:
    """Key by key, the values a prediction and an observation must agree on."""
    mine, theirs = predicted.comparable(), probed.comparable()
    keys = [k for k in ("status", "error", "version", *FIELDS, "path", "warnings", "install")
            if k in mine or k in theirs]
    rows: list[tuple[str, str, str, bool, str]] = []
    differences = []
    for key in keys:
        left, right = mine.get(key), theirs.get(key)
        equal = left == right
        if not equal:
            differences.append(key)
        label = LABELS.get(key, key)
        if key == "install" and (isinstance(left, dict) or isinstance(right, dict)):
            mine_paths, their_paths = dict(left or {}), dict(right or {})  # a row per key
            rows.extend((f"install.{k}", _value(mine_paths.get(k)), _value(their_paths.get(k)),
                         mine_paths.get(k) == their_paths.get(k), f"install.{k}")
                        for k in INSTALL_KEYS)
            continue
        if isinstance(left, list) or isinstance(right, list):
            a, b = list(left or []), list(right or [])
            if not a and not b:
                rows.append((label, "(none)", "(none)", True, label))
            for n in range(max(len(a), len(b))):
                rows.append((label if n == 0 else "", _value(a[n] if n < len(a) else None),
                             _value(b[n] if n < len(b) else None),
                             n < len(a) and n < len(b) and a[n] == b[n], f"{label}[{n}]"))
        else:
            rows.append((label, _value(left), _value(right), equal, label))
    return Comparison(tuple(rows), tuple(differences), tuple(_notes(predicted, probed,
                                                                     differences)))


def _notes(predicted: Outcome, probed: Outcome, differences: list[str]) -> list[str]:
    notes = []
    if differences and predicted.code_not_run:
        notes.append("Code site runs and the model does not (code_not_run) may explain it: "
                     + ", ".join(f"{show(c.file)}" + (f":{c.line}" if c.line else "")
                                 for c in predicted.code_not_run if c.may_change) + ".")
    if probed.error is not None and probed.error.kind == "probe-unsupported":
        notes.append(f"The probe cannot run this: {show(probed.error.message, backslash=False)}")
    return notes


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return show(value) if value else "''"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {show(str(v))}" for k, v in value.items())
    return show(str(value))
