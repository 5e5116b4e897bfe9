"""The trace as prose: numbered steps a newcomer can follow, each naming its rule, the
behaviour-table row in force and the source the rule comes from, then the result and why.

Each step is told by its rule's narrator (impl/render/narrators.py) from the values the step
recorded, the probes and the layout itself; a rule without a narrator, or a step its
narrator leaves alone, is told by the rule's own summary and the step's detail, so nothing
is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from prefixlab.impl.render.narrators import NARRATORS, Ctx, start_reason, text, texts

from prefixlab.impl.render.text import (CODE, code, command_line, counted, failure, plain,
                                          quoted, result_rows, show)
from prefixlab.model.outcome import Failure, Outcome
from prefixlab.model.paths import getpath as h
from prefixlab.model.startup import site
from prefixlab.model.startup.getpath import prefix, searchpath, venv
from prefixlab.model.trace import Rule, Step
from prefixlab.model.world.build import TABLE
from prefixlab.model.world.fs import FsView


# Item and Explanation (and narrators.Ctx) are plain classes: a dataclass costs its module
# about half a millisecond at import for the methods it generates, and explain's start pays
# for every one.
class Item:
    """One numbered step."""

    __slots__ = ("rule", "row", "versioned", "text", "detail")

    def __init__(self, rule: Rule, row: str, versioned: bool, text: str, detail: str) -> None:
        self.rule = rule
        self.row = row
        self.versioned = versioned
        self.text = text
        self.detail = detail

    @property
    def citation(self) -> str:
        row = f"row {self.row}" if self.row else "no row (the interpreter never started)"
        if self.versioned:
            row += " (this behaviour differs between rows)"
        return f"rule {self.rule.id} · {row} · source: {self.rule.source}"


class Explanation:
    """An explanation: its title, what was asked, the numbered steps, the result, the summary,
    and optionally a preface and the Mermaid drawing of the layout."""

    __slots__ = ("title", "asked", "items", "result", "summary", "mermaid", "preface")

    def __init__(self, title: str, asked: tuple[tuple[str, str], ...], items: tuple[Item, ...],
                 result: tuple[tuple[str, str], ...], summary: tuple[str, ...],
                 mermaid: str | None = None, preface: tuple[str, ...] = ()) -> None:
        self.title = title
        self.asked = asked
        self.items = items
        self.result = result
        self.summary = summary
        self.mermaid = mermaid
        self.preface = preface

    def to_json(self) -> dict[str, Any]:
        return {
            "preface": [plain(p) for p in self.preface],
            "steps": [{"n": n, "rule": i.rule.id, "stage": i.rule.stage, "row": i.row,
                       "versioned": i.versioned, "text": plain(i.text),
                       "source": i.rule.source, "detail": i.detail}
                      for n, i in enumerate(self.items, 1)],
            "summary": [plain(s) for s in self.summary],
            "mermaid": self.mermaid,
        }


def explain(outcome: Outcome, fs: FsView | None = None, *, graph: bool = False,
            preface: Sequence[str] = ()) -> Explanation:
    """Explain ``outcome`` (a prediction); ``fs`` is the world it was predicted in (for link
    chains, what exists, and the graph)."""
    ctx = context(outcome, fs)
    mermaid = None
    if graph and fs is not None:
        from prefixlab.impl.render import footprint  # networkx is slow to import: on demand

        mermaid = footprint.mermaid(outcome, fs)
    return Explanation(
        title=f"prefixlab explain: {command_line(outcome)}",
        asked=tuple(_asked(outcome)),
        items=tuple(_items(outcome.trace.steps, ctx)),
        result=tuple(_bounded_rows(result_rows(outcome))),
        summary=tuple(_summary(ctx)),
        mermaid=mermaid,
        preface=tuple(preface))


def context(outcome: Outcome, fs: FsView | None = None) -> Ctx:
    """What the narrators of ``outcome``'s steps see besides each step."""
    trace = outcome.trace
    return Ctx(outcome, fs, frozenset(row[0] for row in trace.step_rows), trace.row,
               _is_c_getpath(trace.row))


def _is_c_getpath(row: str) -> bool:

    return any(r.name == row and r.arrangement == "c-getpath" for _, r in TABLE)


def _asked(outcome: Outcome) -> Iterable[tuple[str, str]]:
    inv = outcome.invocation
    yield "program", show(inv.program)
    yield "argv", "[" + ", ".join(quoted(a) for a in inv.argv) + "]"
    yield "cwd", show(inv.cwd)
    env = inv.environ
    python = sorted(k for k in env if k.startswith("PYTHON") or k == "__PYVENV_LAUNCHER__")
    shown = [f"PATH={show(env['PATH'])}" if "PATH" in env else "PATH unset"]
    shown += [f"{show(k)}={show(env[k])}" for k in python]
    if not python:
        shown.append("no PYTHON* variables")
    yield "env", f"{counted(len(env), 'variable')}; " + "; ".join(shown)
    if outcome.version:
        row = outcome.trace.row
        yield "interpreter", f"CPython {outcome.version}" + (
            f", behaviour-table row {row}" if row else "")


# -- bounds: an explanation stays readable however long the trace, a file or a list -----------
STEPS_KEPT = 30
"""Steps of one rule in a row told one by one; the rest of the run is counted."""
TEXT_KEPT = 4000
"""Characters of one step's prose (a step may quote a long list) kept."""
ROWS_KEPT = 50
"""Continuation rows of one result (sys.path entries, code not run) kept."""


def _items(steps: Iterable[Step], ctx: Ctx) -> Iterator[Item]:
    """The numbered steps: past STEPS_KEPT steps of one rule in a row (a long .pth file
    appending directory after directory), the rest of the run is one item saying how many
    were left out; those are never narrated."""
    run: Step | None = None
    length = left_out = 0
    for step in steps:
        if run is None or step.rule != run.rule:
            if left_out and run is not None:
                yield _left_out(run, left_out, ctx)
            run, length, left_out = step, 0, 0
        length += 1
        if length > STEPS_KEPT:
            left_out += 1
            continue
        yield _item(step, ctx)
    if left_out and run is not None:
        yield _left_out(run, left_out, ctx)


def _left_out(run: Step, count: int, ctx: Ctx) -> Item:
    return Item(run.rule, run.row or ctx.row, bool(run.row),
                f"... and {counted(count, 'more step')} of this rule, left out here "
                f"(the first {STEPS_KEPT} are told above).", "")


def _bounded(text: str) -> str:
    """``text`` cut at TEXT_KEPT characters, saying how many were left out (a code span cut
    open is closed)."""
    if len(text) <= TEXT_KEPT:
        return text
    kept = text[:TEXT_KEPT]
    if kept.count(CODE) % 2:
        kept += CODE
    return f"{kept} ... ({counted(len(text) - TEXT_KEPT, 'more character')} left out)"


def _bounded_rows(rows: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """The result rows, with at most ROWS_KEPT continuation rows (a label's further values)
    after each labelled one, then one row saying how many were left out."""
    length = left_out = 0
    for label, value in rows:
        if label:
            if left_out:
                yield "", f"... and {left_out} more, left out here"
            length = left_out = 0
        else:
            length += 1
            if length > ROWS_KEPT:
                left_out += 1
                continue
        yield label, _bounded(value)
    if left_out:
        yield "", f"... and {left_out} more, left out here"


def _item(step: Step, ctx: Ctx) -> Item:
    narrator = NARRATORS.get(step.rule)
    said = narrator(step, ctx) if narrator is not None else None
    detail = step.detail
    if said is None:
        said = step.rule.summary + (f" Here: {CODE}{show(detail, backslash=False)}{CODE}."
                                    if detail else "")
    return Item(step.rule, step.row or ctx.row, bool(step.row), _bounded(said),
                detail if len(detail) <= TEXT_KEPT else _bounded(detail))


# -- the closing summary ------------------------------------------------------------------------
def _summary(ctx: Ctx) -> list[str]:
    out = ctx.outcome
    if out.status != "ok":
        error = out.error or Failure("unknown", "")
        said = failure(error)
        if said.startswith(f"{error.kind}: "):  # the message does not name it: in brackets
            return [f"In short: no running interpreter ({out.status}, {error.kind}): "
                    f"{said[len(error.kind) + 2:]}"]
        return [f"In short: no running interpreter ({out.status}): {said}"]
    lines = [f"In short: sys.prefix is {code(out.prefix or '')} because "
             + _prefix_reason(ctx) + "."]
    venv_dir = _venv_dir(ctx)
    if venv_dir and out.prefix != venv_dir and not ctx.fired & {site.R_SITE_VENV,
                                                                site.R_SITE_NO_VENV}:
        lines.append(
            f"It is the base installation, not the venv {code(venv_dir)}: getpath only uses "
            "pyvenv.cfg to find the base; before 3.14 it is site.py that makes sys.prefix "
            "the venv, and -S keeps site from running.")
    for warning in out.warnings:
        lines.append(f"Start-up writes the warning: {warning}")
    return lines


def _prefix_reason(ctx: Ctx) -> str:
    fired = ctx.fired
    if site.R_SITE_VENV in fired:
        return ("site.py's venv() found a pyvenv.cfg beside sys.executable (or one directory "
                "up), so sys.prefix is the parent of sys.executable's directory; the "
                f"installation getpath found is sys.base_prefix, "
                f"{code(ctx.outcome.base_prefix or '')}")
    if venv.R_VENV_PREFIX in fired:
        return "pyvenv.cfg makes it the venv (3.14 does this in getpath)"
    if prefix.R_HOME_SPLIT in fired:
        return "PYTHONHOME (or a ._pth file's directory) says so"
    if searchpath.R_BUILD_RESET in fired:
        return "this is a build tree, whose prefix is reported as the compiled-in PREFIX"
    if prefix.R_ZIP in fired:
        return "it is the first directory above the search's start holding the stdlib zip"
    if prefix.R_LANDMARK in fired:
        landmark = ctx.first(prefix.R_LANDMARK)
        where = f" {code(text(landmark, 'start'))}" if landmark else ""
        return (f"it is the first directory above{where} ({start_reason(ctx)}) that holds "
                "the standard library's landmark os.py")
    if prefix.R_PREFIX_MACRO in fired:
        failed = ctx.first(prefix.R_SEARCH_FAILED)
        searched = texts(failed, "searched") if failed else []
        where = f" {code(searched[0])}" if searched else ""
        return (f"no directory above{where} ({start_reason(ctx)}) holds the standard "
                "library, so the PREFIX compiled into the binary is used")
    if prefix.R_LIBRARY in fired:
        return "it is where the runtime library libpython lives"
    return "nothing else applied (see the steps above)"


def _venv_dir(ctx: Ctx) -> str:
    found = ctx.first(venv.R_CFG_FOUND)
    return h.dirname(text(found, "file")) if found else ""
