"""notes/12-version-differences.md holds the behaviour table exactly as tools/version_table.py
renders it from model/world/build.py, and that rendering shows every field that differs
between rows and no other.

The expected field set is computed here from the dataclass and the rows themselves, and the
rendered text is parsed back, so the check does not trust the generator's own selection.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prefixlab.model.world.build import TABLE, Behaviour, Version

from conftest import REPO

CHAPTER = REPO / "notes" / "12-version-differences.md"
COMMAND = "python tools/version_table.py --write notes/12-version-differences.md"


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("version_table", REPO / "tools" / "version_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("version_table", module)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def _between_markers(text: str) -> str:
    start, end = text.index(tool.START), text.index(tool.END)
    return text[start + len(tool.START):end].strip("\n") + "\n"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def _parsed(rendered: str) -> tuple[list[str], dict[str, list[str]]]:
    """The table's row names (its columns) and, per field shown, the cells of its line."""
    lines = [line for line in rendered.splitlines() if line.startswith("|")]
    header = _cells(lines[0])
    assert header[0] == "field" and header[-1].startswith("sources")
    columns = [name.rstrip(tool.UNCONFIRMED) for name in header[1:-1]]
    shown: dict[str, list[str]] = {}
    for line in lines[2:]:
        cells = _cells(line)
        found = re.match(r"`(\w+)`", cells[0])
        assert found, line
        shown[found.group(1)] = cells[1:-1]
        assert len(cells) == len(header), line
    return columns, shown


def _differing(table: Sequence[tuple[Version, Behaviour]]) -> list[str]:
    """Every behaviour field (not the row's name or its bookkeeping) whose value is not the
    same on all rows."""
    names = [f.name for f in dataclasses.fields(Behaviour) if f.name not in ("name", "confirmed")]
    return [name for name in names
            if any(getattr(row, name) != getattr(table[0][1], name) for _, row in table)]


def test_chapter_holds_the_current_table() -> None:
    text = CHAPTER.read_text(encoding="utf-8")
    assert tool.START in text and tool.END in text, f"{CHAPTER.name} lost its table markers"
    assert _between_markers(text) == tool.render(), (
        f"{CHAPTER.name}'s version table is out of date with model/world/build.py; "
        f"run `{COMMAND}`")


def test_every_differing_field_is_shown_and_only_those() -> None:
    columns, shown = _parsed(tool.render())
    assert columns == [row.name for _, row in TABLE]
    assert list(shown) == _differing(TABLE)
    for name, cells in shown.items():
        assert len(set(cells)) >= 2, f"{name} is shown but its cells do not differ: {cells}"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(range(len(TABLE))), min_size=1, max_size=len(TABLE),
                unique=True).map(sorted))
def test_any_choice_of_rows_shows_exactly_its_differences(indices: list[int]) -> None:
    table = [TABLE[i] for i in indices]
    columns, shown = _parsed(tool.render(table))
    assert columns == [row.name for _, row in table]
    assert list(shown) == _differing(table)
    for name, cells in shown.items():
        values = [getattr(row, name) for _, row in table]
        # cells are equal exactly where the values are equal
        for a in range(len(table)):
            for b in range(a + 1, len(table)):
                assert (cells[a] == cells[b]) == (values[a] == values[b]), (name, a, b)
        if isinstance(values[0], bool):
            assert cells == ["yes" if value else "no" for value in values]


def test_sources_keep_every_issue_the_docstring_cites() -> None:
    docs = tool.docstrings()
    _, shown = _parsed(tool.render())
    lines = {re.match(r"\| `(\w+)`", line).group(1): line  # type: ignore[union-attr]
             for line in tool.render().splitlines() if line.startswith("| `")}
    for name in shown:
        sources = _cells(lines[name])[-1]
        for issue in re.findall(r"\b(?:gh|GH|bpo)-\d+|PR \d+", docs[name]):
            assert issue in sources, f"{name}: {issue} is cited in build.py but not shown"


def test_citations_from_prose() -> None:
    assert tool.citations(
        "3.8: x (Modules/getpath.c calculate_read_pyenv), then (copy_absolute); "
        "3.9-3.10 resolve_symlinks and site.venv() (gh-126985, PR 127968; bpo-45413 _venv_path)"
    ) == ["Modules/getpath.c calculate_read_pyenv", "copy_absolute", "resolve_symlinks",
          "site.venv()", "gh-126985", "PR 127968", "bpo-45413", "_venv_path"]
    assert tool.citations("3.14 names real_executable in a warning") == []


def test_write_replaces_only_between_markers(tmp_path: Path) -> None:
    target = tmp_path / "chapter.md"
    target.write_text(f"before\n\n{tool.START}\nstale\n{tool.END}\n\nafter\n", encoding="utf-8")
    assert tool.main(["--check", str(target)]) == 1
    assert tool.main(["--write", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("before\n\n") and text.endswith("\n\nafter\n")
    assert _between_markers(text) == tool.render()
    assert tool.main(["--check", str(target)]) == 0


def test_write_refuses_a_file_without_markers(tmp_path: Path) -> None:
    target = tmp_path / "chapter.md"
    target.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="markers"):
        tool.main(["--write", str(target)])
