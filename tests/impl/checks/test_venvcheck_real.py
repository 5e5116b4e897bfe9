"""`prefixlab build check ENV` on venvs (ENV/pyvenv.cfg exists): PEP 405's promises judged by
running the venv's interpreter for real (impl/checks/venvcheck.py).

Every venv here is made by a real tool (``python -m venv``, ``prefixlab build venv``,
virtualenv, uv) from a real interpreter; what the venv must report comes from running the
real base, never from the model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import in_scope_interpreters, interpreter_id, require_oracle

from prefixlab.impl.cli.build import build_command
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.builders import venvpromises

pytestmark = pytest.mark.real

INTERPRETERS = in_scope_interpreters()
BIN = Path(sys.executable).parent
"""The project venv's bin: prefixlab, virtualenv and uv."""


def newest() -> Interpreter:
    require_oracle(bool(INTERPRETERS), "no in-scope interpreter here")
    return max(INTERPRETERS, key=lambda i: i.version or (0,))


def check(*args: str) -> Result:
    return CliRunner().invoke(build_command, ["check", *args])


def held(result: Result) -> dict[str, bool]:
    """promise id -> held, from the output lines."""
    out = {}
    for line in result.output.splitlines():
        word, _, rest = line.partition(" ")
        out[rest.strip().partition(":")[0]] = word == "held"
    return out


def assert_all_held(result: Result) -> None:
    assert result.exit_code == 0, result.output
    assert held(result) == {p.id: True for p in venvpromises.PROMISES}, result.output


def make(argv: list[str], scratch: Path, **environ: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, cwd=scratch, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(scratch), **environ})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("system", [False, True], ids=["isolated", "system-site"])
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_stdlib_venvs_hold_every_promise(interp: Interpreter, system: bool,
                                          tmp_path: Path) -> None:
    venv = tmp_path / "v"
    make([interp.path, "-m", "venv", "--without-pip",
          *(["--system-site-packages"] if system else []), str(venv)], tmp_path)
    assert_all_held(check(str(venv)))


@pytest.mark.parametrize("tool", ["prefixlab", "virtualenv", "uv"])
def test_other_builders_venvs_hold_every_promise(tool: str, tmp_path: Path) -> None:
    python = newest().path
    venv = str(tmp_path / "v")
    if tool == "prefixlab":
        make([str(BIN / "prefixlab"), "build", "venv", venv, "--python", python], tmp_path)
    elif tool == "virtualenv":
        make([str(BIN / "virtualenv"), "-q", "--no-seed", "--no-periodic-update", "-p", python,
              venv], tmp_path, VIRTUALENV_OVERRIDE_APP_DATA=str(tmp_path / "app-data"))
    else:
        make([str(BIN / "uv"), "venv", "-q", "-p", python, venv], tmp_path,
             UV_PYTHON_DOWNLOADS="never", UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    assert_all_held(check(venv))


def test_a_home_with_a_decoy_stdlib_gives_the_wrong_base(tmp_path: Path) -> None:
    """home names a directory whose bin holds a link to the base interpreter and whose lib
    holds a link to its stdlib: the venv starts, but its base_prefix is the decoy, not the
    base installation that the link in home runs (exit 1, venv.base failed)."""
    interp = newest()
    assert interp.version is not None
    xy = "python%d.%d" % interp.version[:2]
    real = Path(os.path.realpath(interp.path))
    venv = tmp_path / "v"
    make([interp.path, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    decoy = tmp_path / "decoy"
    (decoy / "bin").mkdir(parents=True)
    (decoy / "lib").mkdir()
    (decoy / "bin" / xy).symlink_to(real)
    base_prefix = subprocess.run([str(real), "-S", "-c", "import sys; print(sys.base_prefix)"],
                                 capture_output=True, text=True, env={}).stdout.strip()
    (decoy / "lib" / xy).symlink_to(Path(base_prefix) / "lib" / xy)
    cfg = venv / "pyvenv.cfg"
    lines = [f"home = {decoy / 'bin'}" if line.startswith("home") else line
             for line in cfg.read_text().splitlines()]
    cfg.write_text("\n".join(lines) + "\n")
    result = check(str(venv))
    assert result.exit_code == 1, result.output
    verdicts = held(result)
    assert verdicts["venv.base"] is False and verdicts["venv.starts"] is True, result.output
    line = next(x for x in result.output.splitlines() if "venv.base:" in x)
    assert f"observed sys.base_prefix={decoy}," in line
    assert f"expected sys.base_prefix={base_prefix}," in line


def test_base_naming_another_interpreter_fails(tmp_path: Path) -> None:
    versions = {i.version[:2]: i for i in INTERPRETERS if i.version}
    require_oracle(len(versions) >= 2, "fewer than two interpreter versions here")
    first, second = sorted(versions)[-2:]
    venv = tmp_path / "v"
    make([versions[first].path, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    assert_all_held(check(str(venv), "--base", versions[first].path))
    result = check(str(venv), "--base", versions[second].path)
    assert result.exit_code == 1, result.output
    assert held(result)["venv.base"] is False, result.output


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    venv = tmp_path / "v"
    make([newest().path, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    result = check(str(venv), "--package", str(tmp_path))
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    cfg = venv / "pyvenv.cfg"
    cfg.write_text("".join(line + "\n" for line in cfg.read_text().splitlines()
                           if not line.startswith("home")))
    result = check(str(venv))
    assert result.exit_code == 2 and "no home key" in result.output, result.output
    result = check(str(tmp_path), "--base", newest().path)  # not a venv: --base is refused
    assert result.exit_code == 2 and "--base" in result.output, result.output
