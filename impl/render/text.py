"""Text for people: paths shown safely, code spans, columns, and the plain and rich renderings
of an explanation, a result and a comparison.

Prose carries its code spans (paths, names) between :data:`CODE` marks; :func:`plain` turns
them into Markdown backticks (pipes, bug reports), :func:`render_rich` into a style (terminals).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from prefixlab.impl.render.escape import quoted as quoted, show as show  # re-exported
from prefixlab.model.outcome import FIELDS, Failure, Outcome

if TYPE_CHECKING:
    # rich is imported by the rich renderings only: output to a pipe or a file never loads it.
    from rich.console import Console
    from rich.text import Text

    from prefixlab.impl.render.compare import Comparison
    from prefixlab.impl.render.narrate import Explanation

CODE = "\0"
"""Delimits code spans (paths, names) inside prose; no path can hold a NUL."""

LABELS = {name: ("sys._base_executable" if name == "base_executable" else f"sys.{name}")
          for name in (*FIELDS, "path")}


def code(value: str) -> str:
    """``value`` as a code span of prose ('' shown as two quotes)."""
    return f"{CODE}{show(value) if value else chr(39) * 2}{CODE}"


def counted(number: int, noun: str, plural: str = "") -> str:
    """``1 file``, ``2 files``: a count with its noun in the right number (``plural`` for a
    noun that does not just take an s)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def failure(error: Failure, *, escaped: bool = True) -> str:
    """A failed start's kind and message on one line, the kind said once: an exec failure's
    message names its errno already (``/x/python: ENOENT``), so it is shown alone.
    ``escaped=False`` for JSON, which carries values as they are."""
    named = re.search(rf"(?<![\w-]){re.escape(error.kind)}(?![\w-])", error.message)
    said = error.message if named else f"{error.kind}: {error.message}"
    return show(said, backslash=False) if escaped else said  # reprs inside: escaped already


def plain(text: str) -> str:
    """Prose with its code spans in backticks (Markdown: pastes well into a bug report)."""
    return text.replace(CODE, "`")


def columns(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)] if rows else []
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1]
            if len(r) > 1 else indent + r[0] for r in rows]


def command_line(outcome: Outcome) -> str:
    """The invocation as one line (arguments with spaces quoted)."""
    inv = outcome.invocation
    return " ".join(show(a) if a and " " not in a else quoted(a)
                    for a in (inv.program, *inv.argv[1:]))


# -- a result --------------------------------------------------------------------------------
def result_rows(outcome: Outcome) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [("status", outcome.status)]
    if outcome.error is not None:
        rows.append(("error", failure(outcome.error)))
    if outcome.version:
        rows.append(("version", outcome.version))
    for name in FIELDS:
        value = getattr(outcome, name)
        if value is not None:
            rows.append((LABELS[name], show(value) if value else "''"))
    if outcome.status == "ok":
        for n, entry in enumerate(outcome.path):
            rows.append(("sys.path" if n == 0 else "", show(entry) if entry else "''"))
    for warning in outcome.warnings:
        rows.append(("warning", show(warning)))
    for n, code in enumerate(outcome.code_not_run):
        where = show(code.file) + (f":{code.line}" if code.line else "")
        effect = (f"{code.known_as}: changes nothing predicted" if code.known_as and
                  not code.may_change else code.known_as or "not run: could change any field")
        rows.append(("code not run" if n == 0 else "", f"{where} ({effect})"))
    return rows


def render_result_plain(outcome: Outcome, heading: str) -> str:
    return "\n".join([heading, *columns(result_rows(outcome))]) + "\n"


def render_result_rich(outcome: Outcome, heading: str, console: Console) -> None:
    from rich.text import Text

    console.print(Text(heading, style="bold"))
    _rich_pairs(console, result_rows(outcome))


# -- an explanation ----------------------------------------------------------------------------
def render_plain(expl: Explanation) -> str:
    lines = [expl.title]
    lines += columns(expl.asked)
    for paragraph in expl.preface:
        lines += ["", plain(paragraph)]
    lines += ["", "What happens, step by step:"]
    for n, item in enumerate(expl.items, 1):
        lines.append(f"{n:2}. {plain(item.text)}")
        lines.append(f"    [{item.citation}]")
    lines += ["", "Result (predicted):"]
    lines += columns(expl.result)
    lines += [""] + [plain(s) for s in expl.summary]
    if expl.mermaid is not None:
        lines += ["", "The layout this answer depended on (Mermaid):", "", "```mermaid",
                  expl.mermaid.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


def render_rich(expl: Explanation, console: Console) -> None:
    from rich.text import Text

    console.print(Text(expl.title, style="bold"))
    _rich_pairs(console, expl.asked)
    for paragraph in expl.preface:
        console.print()
        console.print(_rich_text(paragraph))
    console.print()
    console.print(Text("What happens, step by step", style="bold underline"))
    for n, item in enumerate(expl.items, 1):
        line = Text(f"{n:2}. ", style="bold")
        line.append_text(_rich_text(item.text))
        console.print(line)
        console.print(Text(f"    {item.citation}", style="dim"))
    console.print()
    console.print(Text("Result (predicted)", style="bold underline"))
    _rich_pairs(console, expl.result)
    console.print()
    for sentence in expl.summary:
        console.print(_rich_text(sentence, style="italic"))
    if expl.mermaid is not None:
        console.print()
        console.print(Text("The layout this answer depended on (Mermaid):", style="bold"))
        console.print("```mermaid\n" + expl.mermaid.rstrip("\n") + "\n```", markup=False,
                      highlight=False, soft_wrap=True)


# -- a comparison ------------------------------------------------------------------------------
def render_comparison_plain(comparison: Comparison, *, only_differences: bool = False) -> str:
    rows = [("", "", "predicted", "probed")]
    for key, left, right, equal, indexed in comparison.rows:
        if only_differences and equal:
            continue
        rows.append(("=" if equal else "≠", indexed if only_differences else key, left, right))
    lines = columns(rows)
    if comparison.differences:
        lines.append(_differ(comparison))
    else:
        lines.append("Prediction and probe agree on every key.")
    lines += [plain(n) for n in comparison.notes]
    return "\n".join(lines) + "\n"


def render_comparison_rich(comparison: Comparison, console: Console, *,
                           only_differences: bool = False) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, header_style="bold")
    table.add_column("")
    table.add_column("key", style="dim")
    table.add_column("predicted", overflow="fold")
    table.add_column("probed", overflow="fold")
    for key, left, right, equal, indexed in comparison.rows:
        if only_differences and equal:
            continue
        style = "" if equal else "bold red"
        table.add_row("=" if equal else "≠", Text(indexed if only_differences else key),
                      Text(left, style=style),
                      Text(right, style=style))
    console.print(table)
    if comparison.differences:
        console.print(Text(_differ(comparison), style="bold red"))
    else:
        console.print(Text("Prediction and probe agree on every key.", style="bold green"))
    for note in comparison.notes:
        console.print(_rich_text(note, style="italic"))


def _differ(comparison: Comparison) -> str:
    number = len(comparison.differences)
    return (f"{counted(number, 'key')} {'differs' if number == 1 else 'differ'}: "
            + ", ".join(comparison.differences))


# -- rich helpers ------------------------------------------------------------------------------
def _rich_text(text: str, style: str = "") -> Text:
    from rich.text import Text

    out = Text(style=style)
    for n, part in enumerate(text.split(CODE)):
        out.append(part, style="bold cyan" if n % 2 else "")
    return out


def _rich_pairs(console: Console, rows: Iterable[tuple[str, str]]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(Text(key), Text(value))  # values are text: a '[' in a path is no markup
    console.print(table)
