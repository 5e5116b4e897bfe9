"""probe, diff and explain --compare run PROGRAM for real only when its arguments reach a
CPython interpreter as the interpreter's own command line.

The probe replaces the command with ``-c CODE``: handed to a Python script (the kernel runs
a ``#!`` script's interpreter with the script's path as its first argument, Linux
binfmt_script), to a shell or to any other program, that is not a probe but a run of that
program with strange arguments.  Such a PROGRAM is refused (exit 2, one line naming what the
exec chain reaches), and diff and explain --compare show the prediction and say it is not
comparable.  Interpreters, and wrappers that pass their arguments on (pyenv shims, env),
are still run.  Expected values come from running the real programs.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import in_scope_interpreters, require_oracle

from prefixlab.impl.cli import main as cli
from prefixlab.impl.host.interpreters import Interpreter

SHIMS = os.path.expanduser("~/.pyenv/shims")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args))


def newest() -> Interpreter:
    found = list(in_scope_interpreters())
    require_oracle(bool(found), "no CPython 3.8+ interpreter here")
    return found[-1]


def logging_script(root: Path, interp: Interpreter) -> tuple[Path, Path]:
    """A Python script that records, in a file, that it ran and with which arguments."""
    log = root / "ran.log"
    script = root / "tool"
    script.write_text(f"#!{interp.real_path}\nimport sys\n"
                      f"open({str(log)!r}, 'w').write(repr(sys.argv))\n")
    script.chmod(0o755)
    return script, log


def one_line(result: Result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


@pytest.mark.real
@pytest.mark.parametrize("command", [["probe"], ["diff"], ["explain", "--compare"],
                                     ["probe", "--json"], ["diff", "--json"]])
def test_a_python_script_is_not_run(tmp_path: Path, command: list[str]) -> None:
    script, log = logging_script(tmp_path, newest())
    result = invoke(*command, "--cwd", str(tmp_path), str(script))
    assert result.exit_code == 2, result.output
    assert not log.exists(), log.read_text()
    if command == ["probe"]:
        line = one_line(result)
        assert str(script) in line


@pytest.mark.real
def test_diff_of_a_script_shows_the_prediction_and_says_not_comparable(
        tmp_path: Path) -> None:
    interp = newest()
    script, log = logging_script(tmp_path, interp)
    result = invoke("diff", "--cwd", str(tmp_path), str(script))
    assert result.exit_code == 2 and not log.exists()
    assert "not comparable" in result.output
    assert "sys.prefix" in result.output  # the prediction is shown
    data = json.loads(invoke("diff", "--json", "--cwd", str(tmp_path), str(script)).stdout)
    assert data["comparable"] is False and data["probed"] is None
    assert data["predicted"]["status"] == "ok"
    assert str(script) in data["why"]


@pytest.mark.parametrize("program", ["/bin/sh", "/bin/ls"])
def test_a_program_that_is_no_interpreter_is_not_run(program: str) -> None:
    result = invoke("probe", "--clear-env", program)
    assert result.exit_code == 2
    assert os.path.realpath(program) in one_line(result) or program in one_line(result)
    shown = invoke("diff", "--clear-env", program)
    assert shown.exit_code == 2
    assert "not-modelled" in shown.output and "not comparable" in shown.output
    assert "differ" not in shown.output


@pytest.mark.real
def test_pip_through_the_pyenv_shim_is_not_run(tmp_path: Path) -> None:
    require_oracle(os.access(f"{SHIMS}/pip", os.X_OK), "no pyenv pip shim here")
    result = invoke("probe", "--cwd", str(tmp_path), "--env", f"PATH={SHIMS}:/usr/bin:/bin",
                    "pip")
    assert result.exit_code == 2
    assert "/bin/pip" in one_line(result)


def _real_executable(program: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run([*program, "-S", "-c", "import sys; print(sys.executable)"],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.real
def test_an_interpreter_through_a_shim_or_env_is_still_run(tmp_path: Path) -> None:
    require_oracle(os.access(f"{SHIMS}/python3", os.X_OK), "no pyenv python3 shim here")
    env = {"PATH": f"{SHIMS}:/usr/bin:/bin", "HOME": os.path.expanduser("~")}
    args = ["--cwd", str(tmp_path), "--clear-env", *(f"--env={k}={v}" for k, v in env.items())]
    expected = _real_executable([f"{SHIMS}/python3"], env, tmp_path)
    data = json.loads(invoke("probe", "--json", *args, "python3", "-S").stdout)
    assert data["status"] == "ok" and data["executable"] == expected
    interp = newest()
    expected = _real_executable(["/usr/bin/env", interp.path], env, tmp_path)
    data = json.loads(invoke("probe", "--json", *args, "/usr/bin/env", interp.path,
                             "-S").stdout)
    assert data["status"] == "ok" and data["executable"] == expected
    assert invoke("diff", *args, "python3", "-S").exit_code == 0
