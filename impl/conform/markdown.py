"""``prefixlab conform --report DIR``: a Markdown report (DIR/report.md), a picture of each
failing layout (DIR/pictures/ID.svg) beside the case files (DIR/cases/ID.json).

Each file is written to a temporary name and renamed into place, so a report is never left
half-written.
"""

from __future__ import annotations

import os
import time
from typing import Any

from prefixlab.impl.conform import report


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    """``text`` as a Markdown code span (a fence of backticks longer than any inside)."""
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render(ran: Any, saved: dict[str, str], *, budget: float, seed: int, directory: str) -> str:
    search = ran.search
    c = report.counts(search)
    lines = [f"# prefixlab conform {search.builder.name}", "",
             f"- builder command: {_code(search.builder.command)}",
             f"- prefixlab {report.prefixlab_version()}, seed {seed}, budget {budget:g} s, "
             f"{ran.seconds:.0f} s used, written {time.strftime('%Y-%m-%d')}",
             f"- placements: {', '.join(search.allowed)}",
             f"- cases: {c['cases']} ({c['judged']} judged, {c['refused']} refused, "
             f"{c['unstaged']} not staged)", "", "## Promises by interpreter", ""]
    header, rows = report.table_rows(search)
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for row in rows:
        lines.append("| " + " | ".join(_cell(x) for x in row) + " |")
    for r in ran.reported:
        lines += _failure(r, saved, ran.pictures, directory)
    if not ran.reported:
        lines += ["", "No failure was found."]
    return "\n".join(lines) + "\n"


def _failure(r: report.Reported, saved: dict[str, str], pictures: dict[str, str],
             directory: str) -> list[str]:
    key = r.found.key
    case = r.found.result.case
    title = "Model fidelity" if r.kind == "fidelity" else f"Failure ({r.kind})"
    out = ["", f"## {title} {r.id}: {key.finding} on CPython {', '.join(r.found.fails_on())}", "",
           f"- placement: {case.placement.label}"
           + (" (with --system-site-packages)" if case.system_site else ""),
           f"- base: {_code(case.base.executable)}"]
    if r.id in saved:
        out.append(f"- case file: [{os.path.relpath(saved[r.id], directory)}]"
                   f"({os.path.relpath(saved[r.id], directory)})")
    out.append("")
    for f in r.data["failures"]:
        out.append(f"- **{f['promise']}** — {f['statement']} ({f['source']})")
        for name, value in f["observed"].items():
            out.append(f"  - observed {_code(name)}: {_code(value)}")
        for name, value in f["expected"].items():
            out.append(f"  - expected {_code(name)}: {_code(value)}")
    if r.explanation:
        out += ["", "Why, by the model's trace:", ""]
        out += [f"> {line}" for line in r.explanation]
    if r.id in pictures:
        out += ["", f"![the layout of case {r.id}](pictures/{r.id}.svg)"]
    out += ["", "Reproducer (/bin/sh):", "", "```sh", r.reproducer.rstrip("\n"), "```"]
    return out


def write(directory: str, ran: Any, saved: dict[str, str], *, budget: float, seed: int) -> str:
    for case_id, svg in ran.pictures.items():
        _write(os.path.join(directory, "pictures", f"{case_id}.svg"), svg)
    path = os.path.join(directory, "report.md")
    _write(path, render(ran, saved, budget=budget, seed=seed, directory=directory))
    return path
