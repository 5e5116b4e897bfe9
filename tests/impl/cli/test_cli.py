"""The command line: its contract (JSON keys, exit codes, one-line errors, the environment
and working directory rules) and that predict agrees with probe on real interpreters (the
probe is the oracle).  Most tests drive the CLI in-process with click's CliRunner; a few run
the installed console script, as users and scripts do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import in_scope_interpreters, interpreter_id, require_oracle

from prefixlab.impl.cli import main as cli
from prefixlab.impl.cli.errors import DEBUG_ENV
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.outcome import Failure, Outcome

INTERPRETERS = list(in_scope_interpreters())
PREFIXLAB = str(Path(sys.executable).with_name("prefixlab"))
KEYS = {"schema", "status", "executable", "base_executable", "prefix", "base_prefix",
        "exec_prefix", "base_exec_prefix", "path", "warnings", "error", "version",
        "install", "invocation", "trace", "code_not_run"}


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli.main, list(args), env=env)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PREFIXLAB, *args], capture_output=True, text=True, timeout=300,
                          errors="surrogateescape")


def newest(minimum: tuple[int, int] = (3, 11)) -> Interpreter:
    found = [i for i in INTERPRETERS if i.version and i.version[:2] >= minimum]
    require_oracle(bool(found), f"no CPython {minimum[0]}.{minimum[1]}+ interpreter here")
    return found[-1]


def venv(root: Path, interp: Interpreter) -> Path:
    """A venv as `python -m venv --symlinks` makes it: bin/python a link to the base binary,
    pyvenv.cfg's home its directory (nothing is installed into the interpreter)."""
    (root / "venv" / "bin").mkdir(parents=True)
    (root / "venv" / "bin" / "python").symlink_to(interp.real_path)
    (root / "venv" / "pyvenv.cfg").write_text(
        f"home = {os.path.dirname(interp.real_path)}\ninclude-system-site-packages = false\n")
    return root / "venv" / "bin" / "python"


# -- predict agrees with probe -----------------------------------------------------------------
@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_predict_agrees_with_probe(interp: Interpreter, tmp_path: Path) -> None:
    common = ["--cwd", str(tmp_path), "--clear-env", "--env", "PATH=/usr/bin:/bin",
              interp.path, "-S", "-c", "pass"]
    predicted = json.loads(invoke("predict", "--json", *common).stdout)
    observed = json.loads(invoke("probe", "--json", *common).stdout)
    assert set(predicted) == KEYS and set(observed) == KEYS - {"trace", "code_not_run"}
    assert predicted["schema"] == observed["schema"] == 1
    for key in KEYS - {"trace", "schema", "code_not_run"}:
        assert predicted[key] == observed[key], key
    assert observed["status"] == "ok" and observed["path"][0] == ""
    assert predicted["invocation"]["argv"] == [interp.path, "-S", "-c", "pass"]


@pytest.mark.real
def test_a_bare_name_is_found_on_the_given_path(tmp_path: Path) -> None:
    interp = newest((3, 8))
    name = os.path.basename(interp.path)
    common = ["--cwd", str(tmp_path), "--clear-env", "--env",
              f"PATH=/nonexistent:{os.path.dirname(interp.path)}", name, "-S"]
    predicted = json.loads(invoke("predict", "--json", *common).stdout)
    observed = json.loads(invoke("probe", "--json", *common).stdout)
    assert predicted["invocation"]["argv"][0] == name  # argv0 defaults to the bare name
    assert predicted["executable"] == observed["executable"] == interp.path
    assert predicted["path"] == observed["path"]


@pytest.mark.real
def test_a_venv_made_from_a_symlinked_interpreter(tmp_path: Path) -> None:
    interp = newest()
    python = venv(tmp_path, interp)
    common = ["--cwd", str(tmp_path), "--clear-env", "venv/bin/python", "-S"]
    predicted = json.loads(invoke("predict", "--json", *common).stdout)
    assert invoke("diff", *common).exit_code == 0
    assert predicted["executable"] == str(python)
    assert predicted["base_executable"] == interp.real_path
    assert predicted["prefix"] == predicted["base_prefix"] != str(tmp_path / "venv")


@pytest.mark.real
def test_diff_agrees_without_dash_s_on_a_venv(tmp_path: Path) -> None:
    """Without -S, site.py adds the venv's site-packages to sys.path: the model follows it, so
    diff finds nothing, and the venv's site-packages directory is on both paths."""
    interp = newest()
    venv(tmp_path, interp)
    assert interp.version is not None
    x_y = "%d.%d" % interp.version[:2]
    (tmp_path / "venv" / "lib" / f"python{x_y}" / "site-packages").mkdir(parents=True)
    args = ["--cwd", str(tmp_path), "--clear-env", "venv/bin/python"]
    data = json.loads(invoke("diff", "--json", *args).stdout)
    assert invoke("diff", *args).exit_code == 0, data
    assert data["equal"] is True
    site_dirs = [p for p in data["probed"]["path"] if p.startswith(str(tmp_path / "venv"))]
    assert site_dirs and all(p.endswith("site-packages") for p in site_dirs)


# -- diff's exit codes, through a stubbed probe -------------------------------------------------
def _stub(monkeypatch: pytest.MonkeyPatch, make: object) -> None:
    monkeypatch.setattr(cli, "run_probe", make)


def test_diff_exit_codes_follow_the_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    # A missing program is run (its exec fails, as predicted); /bin/true is not an
    # interpreter, so it is not run at all (test_realrun.py).
    def same(invocation: object, taken: int = 0) -> Outcome:
        return Outcome("exec-failed", invocation,  # type: ignore[arg-type]
                       error=Failure("ENOENT", "other words"))

    def other(invocation: object, taken: int = 0) -> Outcome:
        return Outcome("ok", invocation, executable="/x", path=("",))  # type: ignore[arg-type]

    def cannot(invocation: object, taken: int = 0) -> Outcome:
        return Outcome("not-modelled", invocation,  # type: ignore[arg-type]
                       error=Failure("probe-unsupported", "runs a module (-m)"))

    _stub(monkeypatch, same)
    assert invoke("diff", "--clear-env", "/nonexistent/python").exit_code == 0
    _stub(monkeypatch, other)
    result = invoke("diff", "--clear-env", "/nonexistent/python")
    assert result.exit_code == 1 and "status" in result.stdout
    _stub(monkeypatch, cannot)
    result = invoke("diff", "--clear-env", "/nonexistent/python", "-m", "x")
    assert result.exit_code == 2 and "runs a module" in result.stderr
    result = invoke("diff", "--clear-env", "/bin/true")
    assert result.exit_code == 2 and "not comparable" in result.stderr


# -- bad input ---------------------------------------------------------------------------------
BAD = [
    (["predict", "--bogus", "/bin/true"], "No such option"),
    (["predict", "--env", "NOEQUALS", "/bin/true"], "--env 'NOEQUALS': expected NAME=VALUE"),
    (["predict", "--env", "=x", "/bin/true"], "expected NAME=VALUE"),
    (["predict", "--unset-env", "A=1", "/bin/true"], "--unset-env 'A=1'"),
    (["predict"], "Missing argument 'PROGRAM'"),
    (["predict", ""], "PROGRAM: empty"),
    (["predict", "--cwd", "/nonexistent/dir", "/bin/true"], "--cwd /nonexistent/dir: No such"),
    (["predict", "--cwd", "/etc/hostname", "/bin/true"], "not a directory"),
    (["probe", "--cwd"], "requires an argument"),
    (["diff", "--json"], "Missing argument 'PROGRAM'"),
    (["frobnicate"], "No such command"),
    (["interpreters", "--bogus"], "No such option"),
]


@pytest.mark.parametrize(("args", "says"), BAD, ids=[" ".join(a) or "none" for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(args: list[str], says: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert lines[0].startswith("prefixlab")
    assert "Traceback" not in result.output and result.stdout == ""


def test_bad_input_from_the_console_script() -> None:
    for args in (["predict", "--bogus", "/bin/true"], ["predict", "--env", "X", "/bin/true"],
                 ["predict"], ["predict", "--cwd", "/nonexistent", "/bin/true"]):
        result = run(*args)
        assert result.returncode == 2, args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr


def test_an_unenterable_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests run as root, whom mode 000 does not stop: ask the check as a user would.
    locked = tmp_path / "locked"
    locked.mkdir(mode=0)
    monkeypatch.setattr(cli.os, "access", lambda path, mode: False)
    result = invoke("predict", "--cwd", str(locked), "/bin/true")
    assert result.exit_code == 2
    assert result.stderr == f"prefixlab predict: --cwd {locked}: permission denied (cannot " \
                            "enter it)\n"


def test_internal_errors_are_one_line_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "predict", broken)
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    result = invoke("predict", "--clear-env", "/bin/true")
    assert result.exit_code == 3
    assert result.stderr.strip() == ("prefixlab predict: internal error: RuntimeError: boom "
                                     "(set PREFIXLAB_DEBUG=1 for the traceback)")


def test_main_returns_codes_when_not_standalone() -> None:
    assert cli.main.main(["predict", "--env", "X", "/bin/true"], standalone_mode=False) == 2
    assert cli.main.main(["--help"], standalone_mode=False) == 0


# -- the invocation --------------------------------------------------------------------------
def invocation_of(*args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = invoke("predict", "--json", *args, env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    invocation: dict[str, object] = data["invocation"]
    return invocation


def test_env_options_apply_in_order_after_the_callers_environment() -> None:
    env = invocation_of("--env", "A=1", "--unset-env", "A", "--env", "A=2", "--env", "B=x=y",
                        "--clear-env", "/bin/true")["env"]
    assert env == {"A": "2", "B": "x=y"}
    env = invocation_of("--env", "A=1", "--unset-env", "A", "--clear-env", "/bin/true")["env"]
    assert env == {}
    env = invocation_of("--env=A=1", "--unset-env=HOME", "/bin/true",
                        env={"HOME": "/h", "KEEP": "k"})["env"]
    assert isinstance(env, dict)
    assert env["A"] == "1" and env["KEEP"] == "k" and "HOME" not in env


def test_program_argv0_and_cwd(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    here = os.getcwd()
    try:
        os.chdir(tmp_path)
        inv = invocation_of("--cwd", "sub", "--argv0", "lies", "../x/python3", "-S", "--env")
    finally:
        os.chdir(here)
    assert inv["cwd"] == str(tmp_path / "sub")
    assert inv["program"] == "../x/python3"  # passed as typed, relative to --cwd
    assert inv["argv"] == ["lies", "-S", "--env"]  # after PROGRAM, the interpreter's own


def test_failed_starts_are_answers() -> None:
    data = json.loads(invoke("predict", "--json", "--clear-env", "/bin/true").stdout)
    assert data["status"] == "not-modelled" and data["prefix"] is None
    assert data["error"]["kind"] == "not-an-interpreter"
    result = invoke("predict", "--json", "--clear-env", "/nonexistent/python3")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["error"] == {
        "kind": "ENOENT", "message": "/nonexistent/python3: ENOENT"}


def test_surrogates_survive_json_and_text(tmp_path: Path) -> None:
    odd = os.fsdecode(b"odd-\xff")
    program = f"{tmp_path}/{odd}/python3"
    result = run("predict", "--json", "--clear-env", program)
    assert result.returncode == 0 and result.stdout.isascii()
    assert "\\udcff" in result.stdout
    assert json.loads(result.stdout)["invocation"]["program"] == program
    text = run("predict", "--clear-env", program)
    assert text.returncode == 0 and "odd-\\xff" in text.stdout


# -- explain, probe, interpreters ---------------------------------------------------------------
@pytest.mark.real
def test_explain_graph_on_a_symlinked_venv(tmp_path: Path) -> None:
    interp = newest()
    venv(tmp_path, interp)
    assert interp.constants is not None and interp.version is not None
    result = invoke("explain", "--graph", "--cwd", str(tmp_path), "--clear-env",
                    "venv/bin/python", "-S")
    assert result.exit_code == 0, result.output
    text = result.stdout
    prefix = os.path.dirname(os.path.dirname(interp.real_path))
    x_y = "%d.%d" % interp.version[:2]
    assert f"It finds `{tmp_path}/venv/pyvenv.cfg`" in text
    assert f"`{prefix}/lib/python{x_y}/os.py`" in text
    assert f"So sys.prefix is `{prefix}`" in text
    assert "rule prefix.os-landmark · row " in text
    assert "```mermaid\nflowchart LR\n" in text and "landmark found" in text


@pytest.mark.real
def test_explain_json_carries_the_explanation_and_the_comparison(tmp_path: Path) -> None:
    interp = newest((3, 8))
    data = json.loads(invoke("explain", "--json", "--compare", "--graph", "--cwd",
                             str(tmp_path), interp.path, "-S").stdout)
    assert KEYS <= set(data)
    steps = data["explanation"]["steps"]
    assert [s["rule"] for s in steps] == [t["rule"] for t in data["trace"]]
    assert all(s["row"] and s["source"] and "\0" not in s["text"] for s in steps)
    assert data["explanation"]["mermaid"].startswith("flowchart LR")
    assert data["differences"] == [] and data["probed"]["prefix"] == data["prefix"]


@pytest.mark.real
def test_explain_without_program_is_the_default_interpreter() -> None:
    found = shutil.which("python3")
    require_oracle(found is not None, "no python3 on PATH")
    result = run("explain", "--compare")
    assert result.returncode == 0, result.stderr
    assert "No PROGRAM given: the machine's default interpreter" in result.stdout
    assert "Predicted and probed, side by side:" in result.stdout
    if "not-modelled" not in result.stdout:
        assert "Prediction and probe agree on every key." in result.stdout


def test_probe_json_has_no_trace(tmp_path: Path) -> None:
    data = json.loads(invoke("probe", "--json", "--clear-env", "/nonexistent/python").stdout)
    assert set(data) == KEYS - {"trace", "code_not_run"} and data["status"] == "exec-failed"


def test_interpreters_lists_scope_and_the_cache() -> None:
    data = json.loads(invoke("interpreters", "--json").stdout)
    assert data["schema"] == 1 and data["cache"]
    for item in data["interpreters"]:
        assert item["in_scope"] == (item["constants"] is not None)
        assert item["in_scope"] or item["reason"]
    text = invoke("interpreters").stdout
    assert "Build constants cache:" in text


def test_help_says_what_site_code_is_not_run() -> None:
    assert "code_not_run" in invoke("--help").stdout
