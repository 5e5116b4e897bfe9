"""`prefixlab build venv`'s --python requests, missing parents, --clear, --upgrade,
--allow-existing, --without-scm-ignore-files and console scripts, each held against what
stdlib `python -m venv --without-pip` of the same interpreter does in the same situation.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import in_scope_interpreters, interpreter_id, require_oracle
from prefixlab.impl.host.interpreters import Interpreter

from test_build_venv import _env, _some, tree

INTERPRETERS = in_scope_interpreters()
SOME = _some(INTERPRETERS)
PROGRAM = str(Path(sys.executable).with_name("prefixlab"))


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROGRAM, "build", "venv", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300,
                          env={**_env(), "XDG_CACHE_HOME": str(cwd / "cache")})


def _ok(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr


def _stdlib(python: str, target: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python, "-m", "venv", "--without-pip", *flags, str(target)],
                          env=_env(), capture_output=True, text=True, timeout=120)


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two places with the same venv name (the prompt is the name)."""
    real, mine = tmp_path / "real" / "venv", tmp_path / "ours" / "venv"
    real.parent.mkdir()
    mine.parent.mkdir()
    return real, mine


def _cfg(root: Path) -> str:
    return (root / "pyvenv.cfg").read_text().replace(str(root), "<V>")


@pytest.mark.real
@pytest.mark.parametrize("interp", SOME, ids=interpreter_id)
def test_a_version_request_builds_with_the_highest_matching_interpreter(
        tmp_path: Path, interp: Interpreter) -> None:
    assert interp.version is not None
    minor = "%d.%d" % interp.version[:2]
    done = _cli("v", "--python", minor, "--stdlib-compatible", cwd=tmp_path)
    _ok(done)
    same = [i for i in INTERPRETERS if i.version and i.version[:2] == interp.version[:2]]
    best = max(i.version for i in same if i.version)
    # The venv is the one stdlib venv of that interpreter writes; its version is the highest.
    version = [line for line in (tmp_path / "v" / "pyvenv.cfg").read_text().splitlines()
               if line.startswith("version = ")]
    assert version == ["version = %d.%d.%d" % best]
    assert done.stderr.startswith("Using CPython %d.%d.%d at " % best)
    # The choice is said once (the build's summary follows it).
    assert sum(line.startswith("Using ") for line in done.stderr.splitlines()) == 1
    for n, flag in enumerate(("--quiet", "-q")):
        quiet = _cli(f"w{n}", "--python", minor, flag, cwd=tmp_path)
        _ok(quiet)
        assert quiet.stderr == ""
    global_quiet = subprocess.run([PROGRAM, "-q", "build", "venv", "x", "--python", minor],
                                  capture_output=True, text=True, cwd=tmp_path, timeout=300,
                                  env={**_env(), "XDG_CACHE_HOME": str(tmp_path / "cache")})
    _ok(global_quiet)
    assert global_quiet.stderr == ""


def test_an_unmatched_request_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    done = _cli("v", "--python", "3.99", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "3.99" in done.stderr and "found:" in done.stderr
    assert not (tmp_path / "v").exists()


@pytest.mark.real
@pytest.mark.parametrize("interp", SOME, ids=interpreter_id)
def test_missing_parents_are_created_as_stdlib_venv_does(tmp_path: Path,
                                                         interp: Interpreter) -> None:
    real, mine = tmp_path / "real" / "a" / "b" / "venv", tmp_path / "ours" / "a" / "b" / "venv"
    assert _stdlib(interp.path, real).returncode == 0
    _ok(_cli(str(mine), "--python", interp.path, "--stdlib-compatible", cwd=tmp_path))
    assert tree(mine) == tree(real)
    assert _cfg(mine) == _cfg(real)


def test_a_failed_build_removes_the_parents_it_made(tmp_path: Path) -> None:
    done = _cli("x/y/v", "--python", "/nonexistent/python3", cwd=tmp_path)
    assert done.returncode == 2
    assert not (tmp_path / "x").exists()


@pytest.mark.real
@pytest.mark.parametrize("interp", SOME, ids=interpreter_id)
def test_clear_replaces_a_venv_as_stdlib_clear_does(tmp_path: Path,
                                                    interp: Interpreter) -> None:
    real, mine = _pair(tmp_path)
    for root in (real, mine):
        assert _stdlib(interp.path, root).returncode == 0
        (root / "lib" / "stale.txt").write_text("old")
    assert _stdlib(interp.path, real, "--clear").returncode == 0
    _ok(_cli(str(mine), "--python", interp.path, "--clear", "--stdlib-compatible",
             cwd=tmp_path))
    assert tree(mine) == tree(real)
    assert _cfg(mine) == _cfg(real)


@pytest.mark.real
@pytest.mark.parametrize("interp", SOME, ids=interpreter_id)
def test_upgrade_rewrites_what_stdlib_upgrade_rewrites(tmp_path: Path,
                                                       interp: Interpreter) -> None:
    real, mine = _pair(tmp_path)
    for root in (real, mine):
        assert _stdlib(interp.path, root).returncode == 0
        # What --upgrade keeps (scripts, packages) and what it writes again (pyvenv.cfg).
        (root / "bin" / "activate").write_text("edited\n")
        (root / "pyvenv.cfg").write_text("home = /nowhere\n")
        (root / "bin" / "python").unlink()
    assert _stdlib(interp.path, real, "--upgrade").returncode == 0
    _ok(_cli(str(mine), "--python", interp.path, "--upgrade", "--stdlib-compatible",
             cwd=tmp_path))
    assert tree(mine) == tree(real)
    assert _cfg(mine) == _cfg(real)


@pytest.mark.real
@pytest.mark.parametrize("interp", SOME, ids=interpreter_id)
def test_allow_existing_keeps_a_directory_as_stdlib_venv_does(tmp_path: Path,
                                                              interp: Interpreter) -> None:
    real, mine = _pair(tmp_path)
    for root in (real, mine):
        root.mkdir()
        (root / "notes.txt").write_text("mine")
        (root / "lib").mkdir()
        (root / "lib" / "keep").write_text("keep")
    refused = _cli(str(mine), "--python", interp.path, cwd=tmp_path)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert _stdlib(interp.path, real).returncode == 0
    _ok(_cli(str(mine), "--python", interp.path, "--allow-existing", "--stdlib-compatible",
             cwd=tmp_path))
    assert tree(mine) == tree(real)
    assert _cfg(mine) == _cfg(real)


@pytest.mark.real
@pytest.mark.parametrize("interp", SOME, ids=interpreter_id)
def test_without_scm_ignore_files(tmp_path: Path, interp: Interpreter) -> None:
    """3.13's venv takes the option and writes no .gitignore; older venvs refuse it (argparse)
    and write none anyway: prefixlab takes it everywhere, as a no-op before 3.13."""
    real, mine = _pair(tmp_path)
    stdlib = _stdlib(interp.path, real, "--without-scm-ignore-files")
    if stdlib.returncode != 0:
        assert "unrecognized arguments" in stdlib.stderr
        assert _stdlib(interp.path, real).returncode == 0
    _ok(_cli(str(mine), "--python", interp.path, "--without-scm-ignore-files",
             "--stdlib-compatible", cwd=tmp_path))
    assert not (mine / ".gitignore").exists()
    assert tree(mine) == tree(real)
    assert _cfg(mine) == _cfg(real)


@pytest.mark.real
def test_a_console_script_is_refused_naming_its_interpreter(tmp_path: Path) -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    interp = INTERPRETERS[-1]
    env = tmp_path / "env"
    subprocess.run([interp.path, "-m", "venv", str(env)], check=True, env=_env(),
                   capture_output=True, timeout=300)
    pip = env / "bin" / "pip"
    assert pip.read_bytes().startswith(b"#!" + str(env / "bin").encode())
    done = _cli("v", "--python", str(pip), cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    first = pip.read_text().splitlines()[0][2:].strip()
    assert first in done.stderr
    assert not (tmp_path / "v").exists()
    assert os.path.isfile(env / "bin" / "python")


@pytest.mark.real
def test_a_path_is_built_without_importing_the_resolver(tmp_path: Path) -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    code = ("import sys\n"
            "from prefixlab.impl.cli import launch\n"
            f"sys.argv = ['prefixlab', 'build', 'venv', 'v', '--python', "
            f"{INTERPRETERS[0].path!r}]\n"
            "try:\n    launch.main()\nexcept SystemExit as done:\n    code = done.code\n"
            "print(code, 'prefixlab.impl.host.requests' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300,
                          env={**_env(), "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert done.stdout.split() == ["0", "False"], done.stderr


@pytest.mark.real
def test_writing_in_place_never_goes_through_a_link_or_over_a_directory(
        tmp_path: Path) -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    python = INTERPRETERS[0].path
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # bin a link to another directory: stdlib venv would write its scripts there.
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "bin").symlink_to(elsewhere)
    done = _cli(str(linked), "--python", python, "--allow-existing", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert list(elsewhere.iterdir()) == []
    # TARGET itself a link to a directory.
    link = tmp_path / "link"
    link.symlink_to(elsewhere)
    done = _cli(str(link), "--python", python, "--allow-existing", cwd=tmp_path)
    assert done.returncode == 2 and list(elsewhere.iterdir()) == []
    # A directory where pyvenv.cfg goes.
    blocked = tmp_path / "blocked"
    (blocked / "pyvenv.cfg").mkdir(parents=True)
    (blocked / "pyvenv.cfg" / "mine").write_text("keep")
    done = _cli(str(blocked), "--python", python, "--allow-existing", cwd=tmp_path)
    assert done.returncode == 2
    assert (blocked / "pyvenv.cfg" / "mine").read_text() == "keep"


@pytest.mark.real
def test_clear_never_empties_a_directory_that_is_not_a_venv(tmp_path: Path) -> None:
    """stdlib venv --clear would delete mine.txt; prefixlab refuses, as --force does."""
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    target = tmp_path / "work"
    target.mkdir()
    (target / "mine.txt").write_text("keep")
    done = _cli(str(target), "--python", INTERPRETERS[0].path, "--clear", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert sorted(p.name for p in target.iterdir()) == ["mine.txt"]
    both = _cli(str(target), "--python", INTERPRETERS[0].path, "--clear", "--upgrade",
                cwd=tmp_path)
    assert both.returncode == 2 and "--upgrade and --clear" in both.stderr
