"""Every example in notes/ holds, on the model for every row of the behaviour table it
applies to (3.14's included: no 3.14 interpreter runs here, so that row is checked by the
model only), and on every real interpreter here whose version it applies to.

The expected values are the ones written in the notes (facts about CPython, explained
there); the format and the model's side are prefixlab.model.notes, the real side
prefixlab.impl.checks.notes.
"""

from __future__ import annotations

import re

import pytest

from prefixlab.impl.builders import cwrapper
from prefixlab.impl.checks import notes as real_notes
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model import notes
from prefixlab.model.world.build import TABLE

from conftest import in_scope_interpreters, interpreter_id, require_oracle

EXAMPLES = real_notes.examples()

MODEL_CASES = [(example, row, version) for example in EXAMPLES
               for row, version in notes.rows(example.versions)]

REAL_CASES = [(example, interp) for example in EXAMPLES for interp in in_scope_interpreters()
              if interp.constants is not None and example.applies_to_build(interp.constants)]

UNRUN_ROWS = {row.name for _, row in TABLE if not row.confirmed}


def _model_id(row: str) -> str:
    return f"{row} (model only)" if row in UNRUN_ROWS else row


def test_notes_have_examples() -> None:
    assert len(EXAMPLES) >= 8


def test_every_example_applies_to_some_row() -> None:
    for example in EXAMPLES:
        assert notes.rows(example.versions), f"{example.where()}: no row of the table"


def test_the_3_14_row_is_checked() -> None:
    assert any(row == "3.14" for _, row, _ in MODEL_CASES)


@pytest.mark.parametrize(("example", "row", "version"), MODEL_CASES,
                         ids=[f"{e.name}-{_model_id(r)}" for e, r, _ in MODEL_CASES])
def test_note_example_on_the_model(example: notes.Example, row: str,
                                   version: tuple[int, int, int]) -> None:
    differences = notes.check_on_model(example, version)
    assert not differences, (f"{example.where()}, row {row}: the model disagrees with the "
                             f"note: {'; '.join(differences)}")


@pytest.mark.real
@pytest.mark.parametrize(("example", "interp"), REAL_CASES,
                         ids=[f"{e.name}-{interpreter_id(i)}" for e, i in REAL_CASES])
def test_note_example(example: notes.Example, interp: Interpreter) -> None:
    if real_notes.needs_compiler(example):
        require_oracle(cwrapper.compiler() is not None, "the example builds a nixpkgs "
                       "flavour, whose wrappers need a C compiler (cc or gcc on PATH)")
    checked = real_notes.check_real(example, interp)
    assert not checked.real, (f"{example.where()}: the real interpreter disagrees with the "
                              f"note: {'; '.join(checked.real)}")
    assert not checked.model, (f"{example.where()}: the model disagrees with the note: "
                               f"{'; '.join(checked.model)}")


def test_suggested_commands_hold_no_placeholders() -> None:
    """A command a note suggests (```sh) is one a reader can paste: no {ROOT}, {PREFIX} or
    {X.Y} (prefixlab example lays an example down at a directory the reader names)."""
    fence = re.compile(r"^```(?:sh|console|bash)\n(.*?)^```", re.S | re.M)
    for path in sorted(real_notes.NOTES.glob("*.md")):
        for block in fence.findall(path.read_text(encoding="utf-8")):
            for placeholder in ("{ROOT}", "{PREFIX}", "{X.Y}", "{XY}"):
                assert placeholder not in block, f"notes/{path.name}: {placeholder} in {block!r}"


def test_suggested_example_commands_name_an_example() -> None:
    """`prefixlab example NOTE#N` written in a note names an example that exists (blocks
    added above it renumber it)."""
    for path in sorted(real_notes.NOTES.glob("*.md")):
        for ref in re.findall(r"prefixlab example (\S+#\d+)", path.read_text(encoding="utf-8")):
            assert real_notes.find(ref).index == int(ref.rpartition("#")[2]), (path.name, ref)
