"""`prefixlab which MODULE PROGRAM` when PROGRAM is an exec chain: a pyenv shim, a nixpkgs
makeWrapper or makeBinaryWrapper wrapper hands the caller's arguments to an interpreter, and
the answer is that interpreter's; a `#!` Python script gets no answer, and says why.

Expected origins come from the real interpreter run through the same chain
(importlib.util.find_spec(NAME).origin); the `#!` rule is the kernel's (binfmt_script: the
interpreter gets the script's path as its first argument).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import in_scope_interpreters, require_oracle

from prefixlab.impl.builders import cwrapper, wrapgen
from prefixlab.impl.cli import main as cli
from prefixlab.impl.host.interpreters import Interpreter

SHIMS = os.path.expanduser("~/.pyenv/shims")
ENV = {"PATH": f"{SHIMS}:/usr/bin:/bin", "HOME": os.path.expanduser("~")}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args))


def newest() -> Interpreter:
    found = list(in_scope_interpreters())
    require_oracle(bool(found), "no CPython 3.8+ interpreter here")
    return found[-1]


def real_origin(program: str, name: str, cwd: Path) -> str:
    code = f"import importlib.util; print(importlib.util.find_spec({name!r}).origin)"
    done = subprocess.run([program, "-S", "-c", code], env=ENV, cwd=cwd,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def which(name: str, program: str, cwd: Path, *args: str, as_json: bool) -> Result:
    options = ["--cwd", str(cwd), "--clear-env", *(f"--env={k}={v}" for k, v in ENV.items())]
    return invoke("which", name, *(["--json"] if as_json else []), *options, program, *args)


def answers_as_the_real_one(program: str, cwd: Path) -> None:
    expected = real_origin(program, "json", cwd)
    result = which("json", program, cwd, "-S", as_json=True)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["which"] is not None, data.get("why")
    assert data["which"]["found"]["origin"] == expected
    text = which("json", program, cwd, "-S", as_json=False)
    assert text.exit_code == 0 and f"found       package {expected}" in text.output


@pytest.mark.real
def test_through_the_pyenv_shim(tmp_path: Path) -> None:
    require_oracle(os.access(f"{SHIMS}/python3", os.X_OK), "no pyenv python3 shim here")
    answers_as_the_real_one("python3", tmp_path)


@pytest.mark.real
def test_through_a_make_wrapper_shell_wrapper(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    require_oracle(bash is not None, "no bash here")
    assert bash is not None
    wrapper = tmp_path / "python3"
    wrapper.write_text(wrapgen.shell_wrapper(newest().real_path,
                                             ["--set", "PYTHONNOUSERSITE", "true"], shell=bash))
    wrapper.chmod(0o755)
    answers_as_the_real_one(str(wrapper), tmp_path)


@pytest.mark.real
def test_through_a_make_binary_wrapper(tmp_path: Path) -> None:
    require_oracle(cwrapper.compiler() is not None, "no C compiler here")
    wrapper = tmp_path / "python3"
    cwrapper.compile_wrapper(wrapgen.c_wrapper(newest().real_path,
                                               ["--set", "PYTHONNOUSERSITE", "true"]),
                             str(wrapper))
    answers_as_the_real_one(str(wrapper), tmp_path)


@pytest.mark.real
def test_a_python_script_gets_no_answer_and_says_why(tmp_path: Path) -> None:
    script = tmp_path / "tool"
    script.write_text(f"#!{newest().real_path}\nprint('ran')\n")
    script.chmod(0o755)
    data = json.loads(which("json", str(script), tmp_path, as_json=True).stdout)
    assert data["which"] is None
    assert "script" in data["why"] and str(script) in data["why"]
    text = which("json", str(script), tmp_path, as_json=False)
    assert text.exit_code == 2  # not answered as asked: name the script's interpreter
    assert "does not start" not in text.output
    assert "script" in text.output and str(script) in text.output
