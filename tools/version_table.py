"""Render the behaviour table (prefixlab.model.world.build.TABLE) as the Markdown table of
notes/12-version-differences.md, so the chapter cannot drift from the model.

One line per behaviour field whose value is not the same on every row (a field identical
everywhere is no version difference), one column per row of the table, then the field's
sources.  A cell is the field's value in plain words: yes/no for a flag, the value itself for
a name or a number, "none" for an absent value; for a tuple (a list of modules) the first
column names what every row has and a cell only what its row adds.  Under the table: the
versions each row covers, and each field's docstring in full, which is where build.py
records what the field means and where it comes from.

The sources column is taken from that docstring, in the order written: issue and PR numbers
(gh-N, GH-N, bpo-N, PR N, CVE-...), CPython files (Modules/..., Lib/..., Python/..., Misc/...)
with the function named after them, calls written as name() or name('arg'), a function
name in parentheses or right after a version or issue ('3.9-3.10 resolve_symlinks',
'(copy_absolute)'), and _Py* names.  A field whose docstring holds none of these says so.

    python tools/version_table.py                  print the generated text
    python tools/version_table.py --write FILE     replace it between FILE's markers
    python tools/version_table.py --check FILE     exit 1 if FILE's text is not current
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from prefixlab.model.world import build
from prefixlab.model.world.build import FIELD_NAMES, TABLE, Behaviour, Version

REPO = Path(__file__).resolve().parent.parent
CHAPTER = "notes/12-version-differences.md"
START = "<!-- version-table:start -->"
END = "<!-- version-table:end -->"
UNCONFIRMED = "†"

_VERSION = r"\d\.\d+(?:\.\d+)?(?:-\d\.\d+(?:\.\d+)?)?\+?(?:'s)?"
_ISSUE = r"(?:gh|GH|bpo|BPO)-\d+"
_FUNCTION = r"_?[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+"
ISSUE = re.compile(rf"{_ISSUE}|PR \d+|CVE-\d+-\d+")
# Each pattern's group "c" (or the whole match) is one citation.
CITATIONS = (
    ISSUE,
    re.compile(rf"(?:Modules|Lib|Python|Misc|Objects|Include|Parser)/[\w./-]*\w"
               rf"(?: {_FUNCTION}\b)?"),
    re.compile(r"\b[A-Za-z_][\w.]*\((?:'[^']*')?\)"),
    re.compile(r"\b_Py\w+"),
    re.compile(rf"\((?P<c>[a-z_]+(?:\.{_FUNCTION})+|{_FUNCTION})[),]"),
    re.compile(rf"(?:{_VERSION}|{_ISSUE}) (?P<c>{_FUNCTION})\b"),
)


def docstrings() -> dict[str, str]:
    """Each Behaviour field's docstring (the string literal under its annotation), with its
    white space collapsed."""
    tree = ast.parse(inspect.getsource(build.Behaviour))
    cls = tree.body[0]
    assert isinstance(cls, ast.ClassDef)
    found: dict[str, str] = {}
    for node, following in zip(cls.body, cls.body[1:]):
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)):
            found[node.target.id] = " ".join(following.value.value.split())
    return found


def citations(doc: str) -> list[str]:
    """The sources a docstring names, in the order written, each once."""
    spans: list[tuple[int, int]] = []
    for pattern in CITATIONS:
        for match in pattern.finditer(doc):
            group = "c" if "c" in pattern.groupindex else 0
            spans.append(match.span(group))
    found: list[str] = []
    end = -1
    for first, last in sorted(spans, key=lambda span: (span[0], -span[1])):
        if last <= end:
            continue  # inside a longer citation already taken
        end = last
        if doc[first:last] not in found:
            found.append(doc[first:last])
    return found


def rows() -> list[tuple[Version, Behaviour]]:
    return list(TABLE)


def differing_fields(table: Sequence[tuple[Version, Behaviour]]) -> list[str]:
    """The fields whose value is not the same on every row, in the order Behaviour declares
    them."""
    return [name for name in FIELD_NAMES
            if len({repr(getattr(row, name)) for _, row in table}) > 1]


def common_items(field: str, table: Sequence[tuple[Version, Behaviour]]) -> tuple[str, ...]:
    """For a tuple field: the items every row has, in the first row's order."""
    values = [getattr(row, field) for _, row in table]
    return tuple(item for item in values[0] if all(item in value for value in values))


def cell(value: object, common: tuple[str, ...] = ()) -> str:
    """A value in plain words."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, tuple):
        extra = [item for item in value if item not in common]
        return "+ " + ", ".join(f"`{item}`" for item in extra) if extra else "—"
    return f"`{value}`" if isinstance(value, str) else str(value)


def coverage(table: Sequence[tuple[Version, Behaviour]]) -> list[str]:
    """For each row, the releases it answers for (the last row whose version is <= the
    build's wins: build.behaviour_for)."""
    lines = []
    for index, (since, row) in enumerate(table):
        following = table[index + 1][0] if index + 1 < len(table) else None
        first = "%d.%d.%d" % since
        if following is not None and following[:2] == since[:2]:
            last = (following[0], following[1], following[2] - 1)
            span = first if last == since else f"{first}–{'%d.%d.%d' % last}"
        else:
            span = f"{first} and later {since[0]}.{since[1]} releases"
        note = "" if row.confirmed else f" {UNCONFIRMED} modelled from source, not run here"
        lines.append(f"- `{row.name}`: {span}{note}")
    return lines


def _source(citation: str) -> str:
    """A citation as a table cell shows it: issue numbers as they are, names as code."""
    return citation if ISSUE.fullmatch(citation) else f"`{citation}`"


def _prose(text: str) -> str:
    """A docstring as Markdown shows it verbatim: outside `code` spans, the characters
    Markdown would read as emphasis, HTML or links are escaped (an underscore inside a word,
    as in base_prefix, is never emphasis and stays as it is)."""
    special = re.compile(r"[\\*<>\[\]|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(part if part.startswith("`") else special.sub(lambda m: "\\" + m[0], part)
                   for part in parts)


def render(table: Sequence[tuple[Version, Behaviour]] | None = None) -> str:
    """The generated text: the table, the rows' coverage, the fields' docstrings."""
    table = rows() if table is None else table
    docs = docstrings()
    fields = differing_fields(table)
    header = ["field"] + [row.name + ("" if row.confirmed else UNCONFIRMED)
                          for _, row in table] + ["sources (from the field's docstring)"]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "---|" * len(header)]
    for name in fields:
        common: tuple[str, ...] = ()
        label = f"`{name}`"
        if isinstance(getattr(table[0][1], name), tuple):
            common = common_items(name, table)
            label += " (every row: " + ", ".join(f"`{item}`" for item in common) + ")"
        cited = citations(docs.get(name, ""))
        sources = "; ".join(map(_source, cited)) if cited else "none named in build.py"
        cells = [cell(getattr(row, name), common) for _, row in table]
        lines.append("| " + " | ".join([label, *cells, sources.replace("|", "\\|")]) + " |")
    lines += ["", "Rows, and the releases each answers for:", ""]
    lines += coverage(table)
    lines += ["", "What each field says, as `Behaviour` in `model/world/build.py` documents it:",
              ""]
    lines += [f"- `{name}`: {_prose(docs.get(name, '(no docstring)'))}" for name in fields]
    return "\n".join(lines) + "\n"


def replaced(text: str, generated: str, where: str) -> str:
    """``text`` with what lies between the markers replaced by ``generated``."""
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{where}: no {START} ... {END} markers")
    return pattern.sub(lambda _: f"{START}\n\n{generated}\n{END}", text, count=1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="FILE", help="replace the text between FILE's markers")
    group.add_argument("--check", metavar="FILE",
                       help="exit 1 if the text between FILE's markers is not current")
    args = parser.parse_args(argv)
    generated = render()
    if args.write is None and args.check is None:
        sys.stdout.write(generated)
        return 0
    path = Path(args.write or args.check)
    text = path.read_text(encoding="utf-8")
    new = replaced(text, generated, str(path))
    if args.check is not None:
        if new != text:
            print(f"{path}: the version table is stale; run "
                  f"`python tools/version_table.py --write {path}`", file=sys.stderr)
            return 1
        return 0
    if new != text:
        path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
