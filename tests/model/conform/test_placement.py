"""placement.parse_names: ``--placements a,b`` read as the documented vocabulary, in the order
of :data:`PLACEMENTS` (the module docstring's order), an unknown or missing name refused with
one line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prefixlab.model.conform.placement import PLACEMENTS, parse_names

DOCUMENTED = ("direct", "bare-name", "exe-link", "prefix-link", "alias-dir", "relocated",
              "venv-of-venv", "from-env", "pyenv-shim", "wrapper", "decoy-above-link",
              "decoy-above-target", "target-through-link", "target-odd-name",
              "target-shell-name")
"""The vocabulary as the module docstring lists it, one bullet each, in that order."""


def test_the_vocabulary_is_the_documented_one() -> None:
    assert PLACEMENTS == DOCUMENTED


@given(st.lists(st.sampled_from(DOCUMENTED), min_size=1), st.sampled_from(["", " ", "  "]))
def test_names_come_back_once_each_in_the_documented_order(names: list[str], pad: str) -> None:
    text = ",".join(pad + n + pad for n in names)
    got = parse_names(text)
    assert set(got) == set(names)
    assert len(got) == len(set(got))
    assert [DOCUMENTED.index(n) for n in got] == sorted(DOCUMENTED.index(n) for n in got)


def test_empty_items_are_skipped() -> None:
    assert parse_names(",wrapper,,direct,") == ("direct", "wrapper")


@pytest.mark.parametrize("text", ["", ",", " , ,", "   "])
def test_no_name_at_all_is_refused(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_names(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("unknown", ["Direct", "venv", "exe_link", "décor", "direct\nx"])
def test_an_unknown_name_is_refused_in_one_line_naming_it(unknown: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_names(f"direct,{unknown},wrapper")
    message = str(info.value)
    assert "\n" not in message
    assert repr(unknown.strip()) in message
