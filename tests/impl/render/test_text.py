"""Values in text output: escaped once, as `ls -b` escapes file names, so that no value can
forge a line or hide a byte.  Expected forms: GNU ls -b writes a newline as \\n, a tab as
\\t and a backslash as \\\\ (coreutils' "escape" quoting style); README states that an
undecodable byte (a lone surrogate from surrogateescape) is written \\xNN."""

from __future__ import annotations

import pytest

from prefixlab.impl.render.text import show


@pytest.mark.parametrize(("value", "shown"), [
    ("a\nb", "a\\nb"),
    ("t\tx", "t\\tx"),
    ("bs\\x", "bs\\\\x"),
    ("c\udcffd", "c\\xffd"),
    ("/usr/lib/python3.12", "/usr/lib/python3.12"),
    ("ué", "ué"),
    ("sp ace", "sp ace"),
])
def test_a_value_is_escaped_as_ls_b_does(value: str, shown: str) -> None:
    assert show(value) == shown


def test_escaping_is_done_once() -> None:
    """An escape already in a value is a backslash like any other: \\n stays two shown
    characters apart from the newline's own escape."""
    assert show("a\\nb\n") == "a\\\\nb\\n"
