"""TARGET names a venv or an environment cannot carry (README's build venv, "Writing"): bytes
that are not UTF-8 (pyvenv.cfg is read as UTF-8 by site, and stdlib venv 3.11+ fails on them),
a newline or any other control character (site reads pyvenv.cfg line by line; activate
scripts and #! lines hold the path) and the PATH separator are refused by both builders in
one line, before anything is written.  Every name that is accepted starts: the model predicts
the built venv's start, and the real interpreter agrees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import in_scope_interpreters, interpreter_id, require_oracle
from prefixlab.impl.host.interpreters import Interpreter

PROGRAM = str(Path(sys.executable).with_name("prefixlab"))
INTERPRETERS = in_scope_interpreters()
REFUSED = {"non-utf8": "v\udcff", "newline": "a\nb", "return": "a\rb", "tab": "a\tb",
           "soh": "a\x01b", "del": "a\x7fb", "c1-nel": "a\x85b", "pathsep": "a:b"}
ODD_BUT_FINE = "a b'c\"$d\\e é\u2028😀"
"""Blanks, quotes, shell characters, a backslash, non-ASCII and a Unicode line separator:
nothing a venv's files cannot carry."""


def run(args: list[str], cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["XDG_CACHE_HOME"] = str(cache)
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([PROGRAM, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env=env, errors="surrogateescape")


@pytest.fixture(name="python", scope="module")
def _python() -> Interpreter:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found on this machine")
    return INTERPRETERS[-1]


def package_for(interp: Interpreter, root: Path) -> Path:
    assert interp.version is not None
    site = root / f"lib/python{interp.version[0]}.{interp.version[1]}/site-packages"
    site.mkdir(parents=True)
    (site / "small.py").write_text("")
    return root


@pytest.mark.real
@pytest.mark.parametrize("builder", ["venv", "env"])
@pytest.mark.parametrize("where", ["name", "parent"])
@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_names_a_venv_cannot_carry_are_refused_by_both_builders(
        builder: str, where: str, kind: str, python: Interpreter, tmp_path: Path) -> None:
    bad = REFUSED[kind]
    scratch = tmp_path / "d"
    scratch.mkdir()
    if where == "parent":  # the working directory is part of TARGET's absolute path
        cwd = scratch / bad
        cwd.mkdir()
        target = "v"
    else:
        cwd, target = scratch, bad
    extra = (["--package", str(package_for(python, tmp_path / "pkg"))]
             if builder == "env" else [])
    done = run(["build", builder, target, "--python", python.path, *extra], cwd,
               tmp_path / "cache")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "TARGET" in lines[0]
    assert os.listdir(cwd) == []  # nothing written, not even a staging directory


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_an_odd_name_that_is_accepted_starts(interp: Interpreter, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    target = tmp_path / ODD_BUT_FINE
    done = run(["build", "venv", str(target), "--python", interp.path], tmp_path, cache)
    assert done.returncode == 0, done.stderr
    python = str(target / "bin" / "python")
    predicted = run(["predict", "--json", "--clear-env", python], tmp_path, cache)
    assert predicted.returncode == 0, predicted.stderr
    outcome = json.loads(predicted.stdout)
    assert (outcome["status"], outcome["prefix"], outcome["warnings"]) == ("ok", str(target),
                                                                           [])
    real = subprocess.run([python, "-c", "import sys; print(sys.prefix)"], env={},
                          capture_output=True, text=True, timeout=60)
    assert (real.returncode, real.stdout.rstrip("\n")) == (0, str(target)), real.stderr


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_an_odd_name_that_is_accepted_starts_as_an_environment(interp: Interpreter,
                                                                 tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    target = tmp_path / ODD_BUT_FINE
    package = package_for(interp, tmp_path / "pkg")
    done = run(["build", "env", str(target), "--python", interp.path, "--package",
                str(package)], tmp_path, cache)
    assert done.returncode == 0, done.stderr
    python = str(target / "bin" / "python3")
    predicted = run(["predict", "--json", "--clear-env", python], tmp_path, cache)
    assert predicted.returncode == 0, predicted.stderr
    outcome = json.loads(predicted.stdout)
    assert (outcome["status"], outcome["prefix"]) == ("ok", str(target))
    real = subprocess.run([python, "-c", "import sys, small; print(sys.prefix)"], env={},
                          capture_output=True, text=True, timeout=60)
    assert (real.returncode, real.stdout.rstrip("\n")) == (0, str(target)), real.stderr
