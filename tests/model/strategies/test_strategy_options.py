"""prefixlab.model.strategies' public surface: the names in ``__all__``, keyword-only options,
and the checks that refuse a wrong option when the strategy is made (InvalidArgument, as
Hypothesis' own strategies do), before anything is drawn."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

import prefixlab.model.strategies as strategies
from prefixlab.model.strategies import (
    Target, cases, contested_sets, exec_chains, flag_lists, package_sets, python_scripts,
    search_path_sets)

STRATEGIES = ["cases", "contested_sets", "exec_chains", "flag_lists", "nix_wrappable_scripts",
              "nix_wrapped_scripts", "nix_wraps", "package_sets", "python_scripts",
              "search_path_sets"]
"""The public strategy functions."""
MAIN_ARGUMENT = {"cases": "target", "package_sets": "version", "contested_sets": "version"}
"""The one positional argument a strategy may take: what it draws for, not an option."""


def test_every_public_name_resolves_and_is_public() -> None:
    assert len(set(strategies.__all__)) == len(strategies.__all__)
    for name in strategies.__all__:
        assert not name.startswith("_")
        assert getattr(strategies, name) is not None
    assert set(STRATEGIES) <= set(strategies.__all__)
    assert {"Target", "Case", "BoundCase", "Script", "PackageSet"} <= set(strategies.__all__)


@pytest.mark.parametrize("name", STRATEGIES)
def test_options_are_keyword_only(name: str) -> None:
    parameters = inspect.signature(getattr(strategies, name)).parameters.values()
    positional = [p.name for p in parameters if p.kind is not p.KEYWORD_ONLY]
    assert positional == ([MAIN_ARGUMENT[name]] if name in MAIN_ARGUMENT else [])


@pytest.mark.parametrize("name", STRATEGIES)
def test_a_public_strategy_makes_a_strategy_without_drawing(name: str) -> None:
    args = {"cases": (Target((3, 12, 1)),), "package_sets": ((3, 12),),
            "contested_sets": ((3, 12),)}.get(name, ())
    assert isinstance(getattr(strategies, name)(*args), SearchStrategy)


WRONG: list[tuple[str, Callable[[], Any], str]] = [
    ("not a target", lambda: cases((3, 12, 1)), "Expected Target but got target="),
    ("version too old", lambda: cases(Target((3, 7, 0))), "only CPython 3.8 to 3.14"),
    ("version too new", lambda: cases(Target((3, 15, 0))), "only CPython 3.8 to 3.14"),
    ("version of two parts", lambda: cases(Target((3, 12))),  # type: ignore[arg-type]
     "a version is 3 ints"),
    ("platlibdir empty", lambda: cases(Target((3, 12, 1), platlibdir="")), "directory name"),
    ("abi_thread", lambda: cases(Target((3, 13, 0), abi_thread="d")), "target.abi_thread='d'"),
    ("relative binary", lambda: cases(Target((3, 12, 1), binary="python3")), "absolute"),
    ("suffix without dot", lambda: search_path_sets(extension_suffixes=("so",)),
     "extension_suffixes[0]='so'"),
    ("suffixes as a string",
     lambda: search_path_sets(extension_suffixes=".so"),  # type: ignore[arg-type]
     "Expected list or tuple but got extension_suffixes='.so'"),
    ("no names", lambda: search_path_sets(names=()), "names=(), but at least one"),
    ("dotted name", lambda: search_path_sets(names=("a.b",)), "names[0]='a.b'"),
    ("dirs as a string", lambda: flag_lists(dirs="/"),  # type: ignore[arg-type]
     "Expected list or tuple but got dirs='/'"),
    ("no dirs", lambda: flag_lists(dirs=[]), "dirs=[], but at least one"),
    ("a dir not a string", lambda: flag_lists(dirs=["/", 1]),  # type: ignore[list-item]
     "Expected str but got dirs[1]=1"),
    ("binary not a bool", lambda: flag_lists(binary=1),  # type: ignore[arg-type]
     "Expected bool but got binary=1"),
    ("negative max_flags", lambda: flag_lists(max_flags=-1), "max_flags=-1, but max_flags"),
    ("max_flags a bool", lambda: flag_lists(max_flags=True), "Expected int but got max_flags"),
    ("no layers", lambda: exec_chains(max_layers=0), "max_layers=0, but max_layers must be"),
    ("negative max_binary", lambda: exec_chains(max_binary=-1), "max_binary=-1"),
    ("env_options not a bool", lambda: python_scripts(env_options="no"),  # type: ignore[arg-type]
     "Expected bool but got env_options='no'"),
    ("package version of three", lambda: package_sets((3, 12, 1)),  # type: ignore[arg-type]
     "a version is 2 ints"),
    ("package version too old", lambda: package_sets((2, 7)), "only CPython 3.8 to 3.14"),
    ("no packages", lambda: package_sets((3, 12), max_packages=0), "max_packages=0"),
    ("env_split without scripts", lambda: package_sets((3, 12), max_scripts=0, env_split=True),
     "max_scripts=0, but max_scripts must be at least 1"),
    ("one contested package", lambda: contested_sets((3, 12), max_packages=1),
     "max_packages=1, but max_packages must be at least 2"),
    ("unknown mode", lambda: contested_sets((3, 12), mode="fight"), "mode='fight', but only"),
]


@pytest.mark.parametrize(("make", "message"), [(m, s) for _, m, s in WRONG],
                         ids=[i for i, _, _ in WRONG])
def test_a_wrong_option_is_refused_when_the_strategy_is_made(make: Callable[[], Any],
                                                              message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        make()


def test_a_package_set_without_scripts_is_allowed() -> None:
    """max_scripts=0 is valid unless env_split asks for a script in every package."""
    assert isinstance(package_sets((3, 12), max_scripts=0), SearchStrategy)


@settings(max_examples=5, database=None)
@given(flag_lists(dirs=("/d",), max_flags=0))
def test_the_limits_are_the_ones_given(flags: list[str]) -> None:
    assert flags == []
