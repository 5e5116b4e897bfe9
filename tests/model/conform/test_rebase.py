"""model/conform/rebase.py: a placement moved onto another interpreter names nothing of the
old one, and moving it back gives the placement again (properties over drawn placements)."""

from __future__ import annotations

import json
from dataclasses import asdict

from hypothesis import given, settings
from hypothesis import strategies as st

from prefixlab.model.conform.placement import Base, Placement
from prefixlab.model.conform.rebase import rebase
from prefixlab.model.strategies.placements import placements

OLD = Base("/opt/py312/bin/python3.12", "/opt/py312", (3, 12, 1), "3.12.1", "/root/.pyenv")
NEW = Base("/usr/bin/python3.9", "/usr", (3, 9, 18), "3.9.18", "/root/.pyenv")
BARE = Base("/usr/bin/python3.11", "/usr", (3, 11, 2))


def _text(placement: Placement) -> str:
    return json.dumps(asdict(placement))


@settings(max_examples=200, deadline=None)
@given(placements(OLD))
def test_moving_there_and_back_gives_the_placement(placement: Placement) -> None:
    there = rebase(placement, OLD, NEW)
    assert there is not None
    assert rebase(there, NEW, OLD) == placement


@settings(max_examples=200, deadline=None)
@given(placements(OLD))
def test_a_moved_placement_names_nothing_of_the_old_interpreter(placement: Placement) -> None:
    there = rebase(placement, OLD, NEW)
    assert there is not None
    text = _text(there)
    for old in ("/opt/py312", "python3.12", "3.12.1"):
        assert old not in text
    assert there.names == placement.names and there.target == placement.target
    assert len(there.ops) == len(placement.ops)


@given(placements(OLD, allowed=("pyenv-shim",)), st.just(BARE))
def test_a_pyenv_shim_does_not_move_onto_an_interpreter_pyenv_does_not_manage(
        placement: Placement, bare: Base) -> None:
    assert ("pyenv-shim" in placement.names) == (rebase(placement, OLD, bare) is None)
