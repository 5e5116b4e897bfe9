"""``build env`` with package priorities and collisions, on the real interpreters.

Packages contest paths with different bytes (model.envpackage_strategies.contested_sets): a
module file, a package directory provided whole by some and only as a file inside it by others,
and a script in ``bin/``.  The expected outcome comes from an oracle written in this file from
nixpkgs' ``pkgs/build-support/buildenv/builder.pl`` (its findFiles, as read), not from
model/builders/buildenv.py (when written, it agreed with
builder.pl itself, run with perl on the same trees, on 300 generated sets: the same links
and directories, and the collision builder.pl died on among the pairs it records):

* no priorities and two different files: the build fails with one line naming both files,
  exit 2, and nothing is written;
* with priorities, the lower number's file wins (a directory is exploded, so a file inside a
  whole directory is contested with each file's own package's priority);
* with --ignore-collisions, a better priority still replaces, and otherwise the first wins.

What the environment's interpreter imports is the winner's module, and what ``bin/ctool`` runs
is the winner's script, run by the environment's interpreter.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import in_scope_interpreters, interpreter_id, require_oracle
from hypothesis import HealthCheck, Phase, event, given, settings

from prefixlab.impl.checks import spec as speccheck
from prefixlab.impl.builders.env import EnvError, build_env, learn_interpreter
from prefixlab.impl.cli.build_env import env_command
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.materialize import scratch_dir
from prefixlab.model.builders import envspec
from prefixlab.model.builders.buildenv import DEFAULT_PRIORITY
from prefixlab.model.builders.flavours import BaseInterpreter
from prefixlab.model.strategies.packages import (CONTEST_MODES, CONTESTED_SCRIPT,
                                                   ContestedSet, contested_sets)

pytestmark = pytest.mark.real

INTERPRETERS = in_scope_interpreters()
DEFAULT = [i for i in INTERPRETERS if i.constants is not None and i.constants.flavour == "debian"
           ][:1] + [i for i in INTERPRETERS
                    if i.constants is not None and i.constants.flavour != "debian"][-1:]
"""The default run: Debian's interpreter (its site directory is not lib/python3.X) and the
newest upstream one; every interpreter under --sweep."""


# -- builder.pl's rule (findFiles) -----------------------------------------------------------------
@dataclass(frozen=True)
class Collision(Exception):
    pairs: frozenset[frozenset[str]]
    """Every pair of paths that collided (builder.pl dies at the first it meets; which one
    that is depends on readdir order)."""


def builder_pl(roots: Sequence[str], priorities: Sequence[int], ignore: bool
               ) -> dict[str, tuple[str, int]]:
    """relative path -> (target, priority), target "" for a real directory.  Raises
    Collision.  builder.pl's findFiles, for pathsToLink = ["/"] and no skipped names."""
    links: dict[str, tuple[str, int]] = {"": ("", 0)}
    collided: set[frozenset[str]] = set()

    def same_contents(a: str, b: str) -> bool:
        if os.stat(a).st_mode != os.stat(b).st_mode:
            return False
        return Path(a).read_bytes() == Path(b).read_bytes()

    def find(rel: str, target: str, prio: int) -> None:
        old = links.get(rel)
        if old is None or (prio < old[1] and old[0] != "" and not os.path.isdir(old[0])):
            links[rel] = (target, prio)
            return
        old_target, old_prio = old
        if old_target and os.path.realpath(old_target) == os.path.realpath(target):
            if os.path.islink(old_target) and not os.path.islink(target):
                links[rel] = (target, prio)
            return
        if old_target and prio > old_prio and not os.path.isdir(old_target):
            return
        if old_target == "" and not os.path.isdir(target):
            raise AssertionError(f"not a directory: {target} (not generated)")
        if not (os.path.isdir(target) and (old_target == "" or os.path.isdir(old_target))):
            if not ignore and not same_contents(old_target, target):
                collided.add(frozenset((old_target, target)))
            return  # (ignored, identical, or recorded: the first provider stays)
        if old_target:
            find_in(rel, old_target, old_prio)
        find_in(rel, target, prio)
        links[rel] = ("", prio)

    def find_in(rel: str, directory: str, prio: int) -> None:
        for name in sorted(os.listdir(directory)):
            find(f"{rel}/{name}" if rel else name, f"{directory}/{name}", prio)

    for root, prio in zip(roots, priorities, strict=True):
        find("", root, prio)
    if collided:
        raise Collision(frozenset(collided))
    return links


def provider(links: dict[str, tuple[str, int]], rel: str) -> str | None:
    """The path the merged tree shows at ``rel`` (through a linked ancestor), "" for a real
    directory, None for nothing."""
    parts = rel.split("/")
    for n in range(len(parts), 0, -1):
        found = links.get("/".join(parts[:n]))
        if found is None:
            continue
        if found[0] == "":  # a real directory: only its own entries are in it
            return "" if n == len(parts) else None
        path = "/".join([found[0], *parts[n:]])
        return path if os.path.lexists(path) else None
    return None


# -- running the environment ------------------------------------------------------------------------
PROBE = ("import importlib, json, os, sys\n"
         "out = {'prefix': sys.prefix}\n"
         "for name in ('cmod', 'cpkg', 'cpkg.x'):\n"
         "    try:\n"
         "        m = importlib.import_module(name)\n"
         "    except ImportError:\n"
         "        out[name] = 'missing'\n"
         "        continue\n"
         "    f = getattr(m, '__file__', None)\n"
         "    out[name] = [os.path.realpath(f) if f else None, getattr(m, 'WHO', None)]\n"
         "print(json.dumps(out))\n")


def _run(argv: list[str], home: str, cwd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, errors="surrogateescape",
                          env=speccheck.clean_environ(home), cwd=cwd, timeout=60)


def _package_of(path: str, roots: Sequence[str]) -> str:
    return next(os.path.basename(r) for r in roots if path.startswith(r + "/"))


def check_contested(interp: Interpreter, base: BaseInterpreter, contested: ContestedSet,
                    scratch: str) -> None:
    version = contested.packages.version
    bound = speccheck.write_packages(contested.packages, f"{scratch}/pkgs", interp.path)
    priorities = [DEFAULT_PRIORITY if p is None else p for p in bound.priorities]
    env = f"{scratch}/env"
    try:
        expected = builder_pl(bound.roots, priorities, contested.ignore_collisions)
    except Collision as collision:
        event(f"{contested.mode}: collision")
        with pytest.raises(EnvError) as raised:
            build_env(env, base, bound.package_args(),
                      ignore_collisions=contested.ignore_collisions)
        message = str(raised.value)
        assert "\n" not in message, message
        named = re.fullmatch(r"collision between '(.+)' and '(.+)'", message)
        assert named is not None, message
        pair = frozenset(os.path.normpath(p) for p in named.groups())
        assert pair in {frozenset(os.path.normpath(p) for p in c) for c in collision.pairs}, (
            message, collision.pairs)
        assert not os.path.lexists(env)
        assert not [n for n in os.listdir(scratch) if n not in ("pkgs",)], os.listdir(scratch)
        return
    build_env(env, base, bound.package_args(), ignore_collisions=contested.ignore_collisions)
    event(f"{contested.mode}: built")
    home = f"{scratch}/home"
    os.makedirs(home, exist_ok=True)
    site = f"lib/python{version[0]}.{version[1]}/site-packages"
    done = _run([f"{env}/bin/python", "-c", PROBE], home, scratch)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["prefix"] == env
    for module, rel in (("cmod", "cmod.py"), ("cpkg", "cpkg/__init__.py"),
                        ("cpkg.x", "cpkg/x.py")):
        winner = provider(expected, f"{site}/{rel}")
        if module == "cpkg" and winner is None and provider(expected, f"{site}/cpkg") is not None:
            assert seen[module] == [None, None], seen  # a namespace package: no __init__
            continue
        if winner is None:
            assert seen[module] == "missing", (module, seen)
            continue
        assert seen[module] == [os.path.realpath(winner), _package_of(winner, bound.roots)], (
            module, seen, winner)
    # the identical file and the hidden half of a wrapped pair: links to builder.pl's choice
    for rel in ("share/prefixlab/COMMON", f"bin/.{CONTESTED_SCRIPT}-wrapped"):
        winner = provider(expected, rel)
        assert (os.path.realpath(f"{env}/{rel}") if os.path.lexists(f"{env}/{rel}")
                else None) == (os.path.realpath(winner) if winner else None), rel
    winner = provider(expected, f"bin/{CONTESTED_SCRIPT}")
    if winner is None:
        assert not os.path.lexists(f"{env}/bin/{CONTESTED_SCRIPT}")
        return
    pkg = _package_of(winner, bound.roots)
    ran = _run([f"{env}/bin/{CONTESTED_SCRIPT}"], home, scratch)
    tag = f"{pkg}.{CONTESTED_SCRIPT}"
    marks, report, _ = envspec.parse_output(ran.stdout, tag)
    assert ran.returncode == 0 and marks == (1, 2), (tag, ran.stdout, ran.stderr)
    others = {f"{os.path.basename(r)}.{CONTESTED_SCRIPT}" for r in bound.roots} - {tag}
    assert not [t for t in others if f" {t} " in ran.stdout], ran.stdout
    assert report is not None and report.prefix == env, ran.stdout
    assert dict(report.imports).get("cmod") == ""


# -- the generated sets ------------------------------------------------------------------------------
_LEARNT: dict[str, BaseInterpreter] = {}


def _base(interp: Interpreter) -> BaseInterpreter:
    if interp.path not in _LEARNT:
        _LEARNT[interp.path] = learn_interpreter(interp.path)
    return _LEARNT[interp.path]


def _generated(interp: Interpreter, examples: int) -> None:
    """``examples`` sets of each mode."""
    assert interp.version is not None
    version = interp.version[0], interp.version[1]
    base = _base(interp)
    for mode in CONTEST_MODES:
        @settings(max_examples=examples, deadline=None, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(contested_sets(version, mode=mode))
        def run(contested: ContestedSet) -> None:
            with scratch_dir("prefixlab-prio-") as scratch:
                check_contested(interp, base, contested, scratch)

        run()


@pytest.mark.parametrize("interp", DEFAULT, ids=interpreter_id)
def test_priorities_and_collisions_on_generated_sets(interp: Interpreter) -> None:
    _generated(interp, 4)


@pytest.mark.sweep
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_priorities_and_collisions_on_generated_sets_sweep(interp: Interpreter) -> None:
    _generated(interp, 25)


# -- the command -------------------------------------------------------------------------------------
@pytest.fixture(name="scratch")
def _scratch() -> Iterator[str]:
    with scratch_dir("prefixlab-prio-") as path:
        yield path


def _tree(root: str, files: dict[str, str]) -> str:
    for rel, text in files.items():
        os.makedirs(os.path.dirname(f"{root}/{rel}"), exist_ok=True)
        Path(f"{root}/{rel}").write_text(text)
    return root


@pytest.mark.parametrize("interp", DEFAULT[-1:], ids=interpreter_id)
def test_the_command_on_a_directory_against_a_file_inside_it(interp: Interpreter,
                                                             scratch: str) -> None:
    """A package providing ``site-packages/dpkg/`` whole and one providing only
    ``dpkg/x.py``: without priorities the two x.py collide (one line, both named, exit 2,
    no TARGET); with priorities the lower number's x.py is imported, whichever package comes
    first; __init__.py comes from the only package that has it (builder.pl explodes the
    directory)."""
    assert interp.version is not None
    site = f"lib/python{interp.version[0]}.{interp.version[1]}/site-packages"
    whole = _tree(f"{scratch}/whole", {f"{site}/dpkg/__init__.py": "WHO = 'whole'\n",
                                       f"{site}/dpkg/x.py": "WHO = 'whole'\n"})
    inside = _tree(f"{scratch}/inside", {f"{site}/dpkg/x.py": "WHO = 'inside'\n"})
    runner = CliRunner()
    env = f"{scratch}/env"
    result = runner.invoke(env_command, [env, "--python", interp.path, "--package", whole,
                                         "--package", inside])
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1
    assert f"'{inside}/{site}/dpkg/x.py'" in result.output
    assert f"'{whole}/{site}/dpkg/x.py'" in result.output
    assert not os.path.lexists(env)
    home = f"{scratch}/home"
    os.makedirs(home)
    for order in ((whole, inside), (inside, whole)):
        for better in (whole, inside):
            args = [env, "--python", interp.path, "--force"]
            for root in order:
                args += ["--package", f"{root}={1 if root == better else 9}"]
            result = runner.invoke(env_command, args)
            assert result.exit_code == 0, result.output
            done = _run([f"{env}/bin/python", "-c",
                         "import dpkg, dpkg.x; print(dpkg.WHO, dpkg.x.WHO)"], home, scratch)
            assert done.stdout.split() == ["whole", os.path.basename(better)], (order, better,
                                                                                done.stderr)
    # --ignore-collisions: the first provider's file
    for order in ((whole, inside), (inside, whole)):
        result = runner.invoke(env_command, [env, "--python", interp.path, "--force",
                                             "--ignore-collisions",
                                             *(a for r in order for a in ("--package", r))])
        assert result.exit_code == 0, result.output
        done = _run([f"{env}/bin/python", "-c", "import dpkg.x; print(dpkg.x.WHO)"], home,
                    scratch)
        assert done.stdout.split() == [os.path.basename(order[0])]


def test_interpreters_found() -> None:
    require_oracle(bool(DEFAULT), "no in-scope interpreter here")
