"""placements(): what every drawn placement promises, checked on the operations themselves.

The properties, each from the module docstrings (model/conform/placement.py and
model/strategies/placements.py):

* only allowed names are drawn ("combining only the names it is allowed");
* every operation's path is relative to ROOT, normalised and never climbs out of it;
* operations run in order on an empty ROOT: each one's directory exists when it runs (made by
  an earlier mkdir, which makes its ancestors, or ROOT itself, or a directory an earlier
  build or link-entries operation made), and none writes over an earlier one's path;
* pyenv-shim only for one of pyenv's installations, decoy-above-link only beside an
  exe-link or a bare name;
* wrong options are refused when the strategy is made (InvalidArgument);
* shrinking goes to ``direct``: the real binary by its absolute path, a target ``venv``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument, NoSuchExample

from prefixlab.model.conform.placement import (
    ENV_FLAVOURS, PLACEMENTS, Base, BuildEnv, BuildVenv, CopyFile, Link, LinkEntries, MakeDir,
    Placement, Wrap, WriteText)
from prefixlab.model.strategies.placements import ODD_NAMES, SHELL_NAMES, placements

PYENV = Base("/opt/py/bin/python3.12", "/opt/py", (3, 12, 1), "3.12.1", "/root/.pyenv")
PLAIN = Base("/usr/bin/python3.11", "/usr", (3, 11, 2))
LIB64 = Base("/opt/py64/bin/python3.13", "/opt/py64", (3, 13, 0), None, None, "lib64")
BASES = [PYENV, PLAIN, LIB64]
ROOT = "{root}"

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def drawn(draw: st.DrawFn) -> tuple[Base, frozenset[str], int, Placement]:
    """A base, a non-empty set of allowed names, a max_depth and a placement drawn with them."""
    base = draw(st.sampled_from(BASES))
    allowed = frozenset(draw(st.sets(st.sampled_from(PLACEMENTS), min_size=1)))
    depth = draw(st.integers(1, 4))
    return base, allowed, depth, draw(placements(base, allowed=allowed, max_depth=depth))


def _components(path: str) -> list[str]:
    return path.split("/")


def _is_clean_relative(path: str) -> bool:
    return (path != "" and not path.startswith("/") and posixpath.normpath(path) == path
            and ".." not in _components(path) and path != ".")


def _ancestors(path: str) -> list[str]:
    """'a/b/c' -> ['a', 'a/b', 'a/b/c']."""
    parts = _components(path)
    return ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]


class _Tree:
    """The directories under ROOT an ordered list of operations makes: a tiny independent
    model of mkdir -p, ln -s (a link to a directory below ROOT is a directory) and the ops
    that make a directory of their own."""

    def __init__(self) -> None:
        self.dirs: set[str] = {""}
        self.links: dict[str, str] = {}
        self.written: set[str] = set()

    def resolve(self, path: str) -> str:
        """``path`` with each leading link below ROOT replaced by its target."""
        for n, prefix in enumerate(_ancestors(path)):
            if prefix in self.links:
                target = self.links[prefix]
                rest = _components(path)[n + 1:]
                return self.resolve("/".join([target, *rest]))
        return path

    def link_target(self, link: Link) -> str | None:
        """The ROOT-relative path a link names, or None when it names something outside."""
        text = link.text
        if text.startswith(ROOT + "/"):
            return posixpath.normpath(text[len(ROOT) + 1:])
        if text.startswith("/"):
            return None
        return posixpath.normpath(posixpath.join(posixpath.dirname(link.path), text))

    def is_dir(self, path: str) -> bool:
        return self.resolve(path) in self.dirs

    def apply(self, op: Any) -> None:
        parent = posixpath.dirname(op.path)
        if isinstance(op, MakeDir):
            # mkdir -p: the deepest existing ancestor must be a directory (or a link to one)
            for ancestor in _ancestors(op.path):
                resolved = self.resolve(ancestor)
                assert resolved not in self.written, f"{op}: {ancestor} is a file"
                self.dirs.add(resolved)
            return
        assert self.is_dir(parent), f"{op}: its directory {parent or 'ROOT'} does not exist yet"
        at = self.resolve(op.path)
        assert at not in self.dirs and at not in self.written and op.path not in self.links, \
            f"{op}: {op.path} is already there"
        if isinstance(op, Link):
            target = self.link_target(op)
            if target is not None:
                self.links[op.path] = target
            else:
                self.written.add(at)
        elif isinstance(op, (LinkEntries, BuildVenv, BuildEnv)):
            self.dirs.add(at)
            if isinstance(op, (BuildVenv, BuildEnv)):
                self.dirs.add(at + "/bin")
        else:
            assert isinstance(op, (WriteText, CopyFile, Wrap)), op
            self.written.add(at)


@SETTINGS
@given(drawn())
def test_only_allowed_names_are_drawn(case: tuple[Base, frozenset[str], int, Placement]) -> None:
    _, allowed, _, placement = case
    assert set(placement.names) <= allowed
    assert list(placement.names) == sorted(set(placement.names), key=PLACEMENTS.index)
    assert placement.label == ("+".join(placement.names) or "direct")


@SETTINGS
@given(drawn())
def test_every_path_is_relative_normalised_and_below_root(
        case: tuple[Base, frozenset[str], int, Placement]) -> None:
    _, _, _, placement = case
    for op in placement.ops:
        assert _is_clean_relative(op.path), op
    assert _is_clean_relative(placement.target)
    for path in (*placement.path, *placement.outer):
        assert _is_clean_relative(path)
    if placement.home_link is not None:
        assert _is_clean_relative(placement.home_link)


@SETTINGS
@given(drawn())
def test_operations_in_order_each_find_their_directory(
        case: tuple[Base, frozenset[str], int, Placement]) -> None:
    _, _, _, placement = case
    tree = _Tree()
    for op in placement.ops:
        tree.apply(op)
    # the target's directory is there for the builder, the target itself is not
    assert tree.is_dir(posixpath.dirname(placement.target))
    target = tree.resolve(placement.target)
    assert target not in tree.dirs and target not in tree.written
    for directory in placement.path:
        assert tree.is_dir(directory)


@SETTINGS
@given(drawn())
def test_what_the_builder_is_given_was_made(
        case: tuple[Base, frozenset[str], int, Placement]) -> None:
    """{python} names the real binary, a path an operation made or one inside an outer venv
    or environment, a bare name found in a PATH directory, or pyenv's shim."""
    base, _, _, placement = case
    made = {op.path for op in placement.ops}
    python = placement.python
    if "pyenv-shim" in placement.names:
        assert python == f"{base.pyenv_root}/shims/python{base.xy}"
    elif "bare-name" in placement.names:
        assert "/" not in python
        assert any(f"{d}/{python}" in made for d in placement.path)
    elif python == base.executable:
        assert "direct" in placement.names or not set(placement.names) & {
            "exe-link", "wrapper"}
        assert not placement.ops or all(
            isinstance(op, (MakeDir, WriteText, Link)) for op in placement.ops)
    else:
        assert python.startswith(ROOT + "/")
        rest = python[len(ROOT) + 1:]
        built = [op.path for op in placement.ops if isinstance(op, (BuildVenv, BuildEnv))]
        assert rest in made or any(rest.startswith(b + "/bin/") for b in built) \
            or (placement.home_link is not None and rest.startswith(placement.home_link + "/"))
    # the outer venvs are the builder's own (a composed environment is the base itself)
    assert list(placement.outer) == [op.path for op in placement.ops
                                     if isinstance(op, BuildVenv)]
    if placement.home_link is not None:
        assert any(isinstance(op, Link) and op.path == placement.home_link
                   for op in placement.ops)


@SETTINGS
@given(drawn())
def test_names_and_their_operations_go_together(
        case: tuple[Base, frozenset[str], int, Placement]) -> None:
    base, _, depth, placement = case
    names = set(placement.names)
    kinds = [type(op) for op in placement.ops]
    assert ("venv-of-venv" in names) == (BuildVenv in kinds)
    assert kinds.count(BuildVenv) <= depth
    assert ("from-env" in names) == (BuildEnv in kinds)
    assert kinds.count(BuildEnv) <= 1
    assert ("wrapper" in names) == (Wrap in kinds)
    assert ("relocated" in names) == (CopyFile in kinds) == (LinkEntries in kinds)
    if "decoy-above-link" in names:
        assert names & {"exe-link", "bare-name"}
    if "pyenv-shim" in names:
        assert base.pyenv_version is not None and base.pyenv_root is not None
        # the shim chooses the real installation: nothing was moved or built
        assert not names & {"relocated", "prefix-link", "alias-dir", "from-env",
                            "venv-of-venv"}
    else:
        assert placement.env == ()
    for op in placement.ops:
        if isinstance(op, BuildEnv):
            assert op.flavour in ENV_FLAVOURS
        if isinstance(op, CopyFile):
            assert op.source == base.executable
        if isinstance(op, LinkEntries):
            assert op.source == base.stdlib
    named = posixpath.basename(placement.target)
    if "target-odd-name" in names:
        assert named in ODD_NAMES
    elif "target-shell-name" in names:
        assert named in SHELL_NAMES
    else:
        assert named == "venv"
    assert not {"target-odd-name", "target-shell-name"} <= set(names)
    assert placement.target.startswith("through/") == ("target-through-link" in names)


NO_PYENV = [PLAIN, LIB64, Base(PYENV.executable, PYENV.prefix, PYENV.version, "3.12.1"),
            Base(PYENV.executable, PYENV.prefix, PYENV.version, None, "/root/.pyenv")]
"""Bases that are not one of pyenv's installations, or not wholly known as one."""


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NO_PYENV), st.sets(st.sampled_from(PLACEMENTS), min_size=1), st.data())
def test_no_pyenv_shim_without_pyenv(base: Base, allowed: set[str], data: st.DataObject) -> None:
    placement = data.draw(placements(base, allowed=allowed))
    assert "pyenv-shim" not in placement.names
    assert "shims" not in placement.python
    assert placement.env == ()


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(BASES), st.sets(st.sampled_from(ENV_FLAVOURS), min_size=1), st.data())
def test_from_env_draws_only_the_flavours_given(base: Base, flavours: set[str],
                                                data: st.DataObject) -> None:
    placement = data.draw(placements(base, allowed={"from-env", "direct"},
                                     env_flavours=flavours))
    for op in placement.ops:
        if isinstance(op, BuildEnv):
            assert op.flavour in flavours
            assert op.python == base.executable


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_venv_of_venv_reaches_every_depth_up_to_max_depth(depth: int) -> None:
    for wanted in range(1, depth + 1):
        found = find(placements(PYENV, allowed={"venv-of-venv"}, max_depth=depth),
                     lambda p: sum(isinstance(op, BuildVenv) for op in p.ops) == wanted,
                     settings=settings(max_examples=2000, database=None))
        venvs = [op for op in found.ops if isinstance(op, BuildVenv)]
        # each outer venv is made from the previous one's interpreter
        assert venvs[0].python == PYENV.executable
        for inner, outer in zip(venvs[1:], venvs):
            assert inner.python == f"{ROOT}/{outer.path}/bin/python"
    with pytest.raises(NoSuchExample):
        find(placements(PYENV, allowed={"venv-of-venv"}, max_depth=depth),
             lambda p: sum(isinstance(op, BuildVenv) for op in p.ops) > depth,
             settings=settings(max_examples=300, database=None))


@pytest.mark.parametrize("base", BASES, ids=["pyenv", "plain", "lib64"])
def test_shrinking_goes_to_direct(base: Base) -> None:
    simplest = find(placements(base), lambda p: True)
    assert simplest.names == ("direct",)
    assert simplest.python == base.executable
    assert simplest.target == "venv"
    assert simplest.ops == ()
    assert (simplest.path, simplest.env, simplest.outer, simplest.home_link) == \
        ((), (), (), None)


COMPANIONS = {"decoy-above-link": ({"bare-name"}, {"exe-link"})}
"""The names a name cannot be drawn without: one of these sets goes with it."""


@pytest.mark.parametrize("name", PLACEMENTS)
def test_shrinking_a_placement_keeps_only_what_its_name_needs(name: str) -> None:
    """The simplest placement holding ``name`` has no layer it does not need: no relocated
    copy, composed environment or outer venv (slow to make, and noise in a finding)."""
    found = find(placements(PYENV, allowed=PLACEMENTS), lambda p: name in p.names,
                 settings=settings(max_examples=3000, database=None, derandomize=True))
    rest = set(found.names) - {name, "direct"}
    assert rest in [set(), *COMPANIONS.get(name, ())], found.names


WRONG: list[tuple[str, Callable[[], Any], str]] = [
    ("unknown name", lambda: placements(PYENV, allowed={"direct", "sideways"}), "sideways"),
    ("no names", lambda: placements(PYENV, allowed=()), "at least one"),
    ("depth 0", lambda: placements(PYENV, max_depth=0), "max_depth=0"),
    ("depth 9", lambda: placements(PYENV, max_depth=9), "max_depth=9"),
    ("from-env without flavours", lambda: placements(PYENV, env_flavours=()), "from-env"),
    ("from-env with no known flavour",
     lambda: placements(PYENV, env_flavours=("nix_classic",)), "nix_classic"),
    ("an unknown flavour beside known ones",
     lambda: placements(PYENV, env_flavours=("reference", "nix_classic")), "nix_classic"),
    ("depth not an int", lambda: placements(PYENV, max_depth=1.5),  # type: ignore[arg-type]
     "max_depth=1.5"),
    ("depth a bool", lambda: placements(PYENV, max_depth=True), "max_depth=True"),
]


@pytest.mark.parametrize(("make", "message"), [(m, s) for _, m, s in WRONG],
                         ids=[i for i, _, _ in WRONG])
def test_a_wrong_option_is_refused_when_the_strategy_is_made(make: Callable[[], Any],
                                                              message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        make()


def test_from_env_flavours_do_not_matter_when_from_env_is_not_allowed() -> None:
    strategy = placements(PYENV, allowed={"direct", "exe-link"}, env_flavours=())
    assert find(strategy, lambda p: True).names == ("direct",)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_a_placement_without_a_way_in_falls_back_to_direct(data: st.DataObject) -> None:
    """Allowed names that say nothing of how the builder names the base: it is given the
    real binary (or the installation layer's) by its absolute path."""
    allowed = data.draw(st.sets(st.sampled_from(("relocated", "prefix-link", "alias-dir",
                                                 "target-odd-name", "decoy-above-target")),
                                min_size=1))
    p = data.draw(placements(PLAIN, allowed=allowed))
    assume(not p.ops)
    assert p.python == PLAIN.executable


def test_shell_names_are_drawn_only_when_named() -> None:
    """target-shell-name is opt-in: not among the defaults, drawn when allowed, and each of
    its names holds a character a shell gives a meaning to."""
    from prefixlab.model.conform.placement import DEFAULT_PLACEMENTS, OPT_IN

    assert "target-shell-name" in PLACEMENTS and "target-shell-name" in OPT_IN
    assert "target-shell-name" not in DEFAULT_PLACEMENTS
    assert set(DEFAULT_PLACEMENTS) | set(OPT_IN) == set(PLACEMENTS)
    assert all(set(name) & set("\"$`\\'") for name in SHELL_NAMES)
    found = find(placements(PYENV, allowed={"direct", "target-shell-name"}),
                 lambda p: "target-shell-name" in p.names,
                 settings=settings(max_examples=500, database=None, derandomize=True))
    assert posixpath.basename(found.target) in SHELL_NAMES
    with pytest.raises(NoSuchExample):
        find(placements(PYENV), lambda p: posixpath.basename(p.target) in SHELL_NAMES,
             settings=settings(max_examples=300, database=None, derandomize=True))
