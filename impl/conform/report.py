"""What a campaign tells: the summary table (promise x interpreter), the failures with their
cause, reproducer and case file, as text, rich, JSON and a Markdown report with pictures.

Paths inside the case's scratch directory are shown as ``{root}/...`` (``$ROOT`` in the
reproducer), so a report reads the same on every run and machine.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from prefixlab.impl.conform import reproducer
from prefixlab.impl.conform.runcase import Finding
from prefixlab.impl.conform.search import Found, Search
from prefixlab.model.builders import venvpromises
from prefixlab.model.conform import case as casefile

SCHEMA = 1


def prefixlab_version() -> str:
    try:
        return metadata.version("prefixlab")
    except metadata.PackageNotFoundError:
        return "unknown"


def portable(value: str, root: str) -> str:
    """``value`` with the case directory written as {root}."""
    return value.replace(root, "{root}") if root else value


def _pairs(values: Iterable[tuple[str, str]], root: str) -> dict[str, str]:
    return {portable(k, root): portable(v, root) for k, v in values}


@dataclass(frozen=True)
class Reported:
    """One failure, ready to print or save."""

    kind: str
    """builder, interpreter or fidelity."""
    found: Found
    explanation: tuple[str, ...]
    reproducer: str
    data: dict[str, Any]
    """The case file's object."""

    @property
    def id(self) -> str:
        return str(self.data["id"])


def report_of(found: Found, explanation: Sequence[str] = ()) -> Reported:
    result = found.result
    root = result.root
    findings = [f for f in result.findings if f.verdict == found.key.verdict
                or (found.key.verdict != "fidelity" and f.verdict in ("builder", "interpreter"))]
    first = next((f for f in findings if f.key == found.key.finding), findings[0])
    expected, observed = _pairs(first.expected, root), _pairs(first.observed, root)
    survive = first.key == "venv.survives-outer-removal"
    if result.case.builder.kind == "env":
        script = _env_script(result.case, findings, root)
    else:
        script = reproducer.script(result.case, failing=[f.key for f in findings],
                                   expected=expected, observed=observed, remove_outer=survive)
    data = _case_file(result.case, {
        "failures": [_finding_json(f, root) for f in findings],
        "key": {"finding": found.key.finding, "version": found.version,
                "verdict": found.key.verdict, "cause": found.key.cause,
                "layer": found.key.layer},
        "fails_on": found.fails_on(),
        "command": portable(result.command, root),
        "expected": {k: portable(str(v), root) for k, v in result.expected.items()},
        "observed": {k: portable(str(v), root) for k, v in result.observed.items()},
        "explanation": [portable(line, root) for line in explanation],
        "reproducer": script})
    return Reported(found.key.verdict, found, tuple(portable(x, root) for x in explanation),
                    script, data)


def _env_script(case: Any, findings: Sequence[Finding], root: str) -> str:
    """A --cmd builder's environment case as a /bin/sh script (impl/conform/envrepro.py);
    for prefixlab's own flavours, the replay of the case file."""
    from prefixlab.impl.conform import envcase, envrepro

    if case.builder.name in envcase.FLAVOURS:
        return ("#!/bin/sh\n# an environment case of a prefixlab flavour: its package trees are "
                "in the case file\nprefixlab conform --replay \"$1\"\n")
    failing = [(f.key, portable(dict(f.expected).get("property", ""), root),
                portable(dict(f.observed).get("reason", ""), root)) for f in findings]
    return envrepro.script(case, failing)


def _case_file(case: Any, report: dict[str, Any]) -> dict[str, Any]:
    if case.builder.kind != "env":
        return casefile.to_file(case, prefixlab_version(), report)
    from prefixlab.impl.conform import envcase

    return {"format": casefile.FORMAT, "version": casefile.FORMAT_VERSION,
            "prefixlab": prefixlab_version(), "id": case.id, **envcase.case_json(case),
            **report}


def _finding_json(finding: Finding, root: str) -> dict[str, Any]:
    promise = venvpromises.BY_ID.get(finding.key)
    return {"promise": finding.key, "verdict": finding.verdict,
            "statement": promise.statement if promise else "",
            "source": promise.source if promise else "",
            "observed": _pairs(finding.observed, root),
            "expected": _pairs(finding.expected, root)}


# -- the summary table ----------------------------------------------------------------------------
Cell = dict[str, Any]


def table(search: Search) -> dict[str, dict[str, Cell]]:
    """promise -> interpreter version -> {held, failed, case}: how often each promise held and
    failed on each interpreter, and the id of the case file of a failure found for it."""
    cells: dict[str, dict[str, Cell]] = defaultdict(dict)
    for result in search.results.values():
        if result.status != "judged":
            continue
        version = ".".join(map(str, result.case.base.version))
        for verdict in result.verdicts:
            if not verdict.applies:
                continue
            cell = cells[verdict.promise].setdefault(version, {"held": 0, "failed": 0,
                                                               "case": None})
            cell["held" if verdict.held else "failed"] += 1
    for key, found in search.found.items():
        if key.verdict == "fidelity":
            continue
        for version in found.fails_on():
            cell = cells[key.finding].setdefault(version, {"held": 0, "failed": 0,
                                                           "case": None})
            cell["case"] = cell["case"] or found.result.case.id
    return dict(cells)


def versions(search: Search) -> list[str]:
    return [".".join(map(str, b.version)) for b in search.bases]


def counts(search: Search) -> dict[str, int]:
    out = {"cases": len(search.results), "judged": 0, "refused": 0, "unstaged": 0}
    for result in search.results.values():
        out[result.status] += 1
    return out


def cell_text(cell: Cell | None) -> str:
    if cell is None:
        return "-"
    if cell["failed"]:
        return f"FAIL {cell['case']}" if cell["case"] else f"FAIL ({cell['failed']})"
    return f"pass {cell['held']}"


def _hazard(text: str, hazard: bool) -> str:
    """A hazard that did not hold is reported, never a failure."""
    return text.replace("FAIL", "hazard", 1) if hazard else text


def table_rows(search: Search) -> tuple[list[str], list[list[str]]]:
    cells = table(search)
    columns = versions(search)
    order = [p.id for p in venvpromises.PROMISES] + sorted(set(cells) - set(venvpromises.BY_ID))
    hazards = {p.id for p in venvpromises.PROMISES if p.kind == "hazard"}
    rows = [[promise, *(_hazard(cell_text(cells.get(promise, {}).get(v)), promise in hazards)
                        for v in columns)]
            for promise in order if promise in cells]
    return ["promise", *columns], rows


def to_json(search: Search, reported: Sequence[Reported], *, budget: float, seed: int,
            elapsed: float) -> dict[str, Any]:
    return {"schema": SCHEMA, "prefixlab": prefixlab_version(),
            "builder": {"name": search.builder.name, "command": search.builder.command,
                        "kind": search.builder.kind},
            "interpreters": [{"version": ".".join(map(str, b.version)), "path": b.executable}
                             for b in search.bases],
            "placements": list(search.allowed), "budget": budget, "seed": seed,
            "seconds": round(elapsed, 1), "counts": counts(search), "table": table(search),
            "failures": [r.data for r in reported if r.kind in ("builder", "interpreter")],
            "fidelity": [r.data for r in reported if r.kind == "fidelity"],
            "refused": sorted({portable(r.why, r.root) for r in search.results.values()
                               if r.status == "refused"}),
            "unstaged": sorted({portable(r.why, r.root) for r in search.results.values()
                                if r.status == "unstaged"})}


def save(reported: Reported, directory: str) -> str:
    """Write the case file ``<id>.json`` atomically into ``directory``; its path."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{reported.id}.json")
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(reported.data, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    os.replace(temporary, path)
    return path


def plain_lines(search: Search, reported: Sequence[Reported], saved: dict[str, str]
                ) -> list[str]:
    """The summary in plain text: counts, the table, each failure."""
    c = counts(search)
    lines = [f"prefixlab conform {search.builder.name}: {c['cases']} cases "
             f"({c['judged']} judged, {c['refused']} refused, {c['unstaged']} not staged)"]
    for status in ("refused", "unstaged"):
        why = Counter(portable(r.why, r.root) for r in search.results.values()
                      if r.status == status)
        for reason, n in why.most_common(REASONS_SHOWN):
            lines.append(f"  {'refused' if status == 'refused' else 'not staged'} ({n}): "
                         f"{reason}")
    header, rows = table_rows(search)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    # One block per case: a case that broke several promises was found (and shrunk) once
    # for each, and is the same case every time.
    by_case: dict[tuple[str, str], list[Reported]] = {}
    for r in reported:
        by_case.setdefault((r.kind, r.id), []).append(r)
    for same in by_case.values():
        r = same[0]
        title = "model fidelity" if r.kind == "fidelity" else f"{r.kind} failure"
        findings = ", ".join(dict.fromkeys(x.found.key.finding for x in same))
        versions = ", ".join(dict.fromkeys(v for x in same for v in x.found.fails_on()))
        lines.append("")
        lines.append(f"{title} {r.id}: {findings} on CPython {versions}, placement "
                     f"{r.found.result.case.placement.label}"
                     + (" (with --system-site-packages)" if r.found.result.case.system_site
                        else ""))
        for f in r.data["failures"][:3]:
            lines.append(f"  {f['promise']}: observed {_inline(f['observed'])}; expected "
                         f"{_inline(f['expected'])}")
        for line in r.explanation[:4]:
            lines.append(f"  why: {line}")
        if r.id in saved:
            lines.append(f"  case file: {saved[r.id]}  (replay: prefixlab conform --replay "
                         f"{saved[r.id]})")
    return lines


REASONS_SHOWN = 3
"""The most frequent reasons for refused and unstaged cases shown in the text summary."""


def _inline(values: dict[str, str]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in values.items())
