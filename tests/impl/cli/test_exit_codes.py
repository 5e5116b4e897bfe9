"""Every command's exit codes, as README's "Exit codes" table and `prefixlab --help` state
them: each code of each command is reached by a real run of the installed console script
(the cases are facts: a path that does not exist does not start, sys is built in, a file
wrapped by prefixlab's wrapper unwraps to the file, nixpkgs' reverted line-3 rule breaks
scripts).  Exit 3 is reached by a command whose inside is made to fail."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import REPO, in_scope_interpreters, require_oracle

from prefixlab.impl.cli import main as cli
from prefixlab.impl.cli.errors import DEBUG_ENV
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.scripts.wrap import wrap

PREFIXLAB = str(Path(sys.executable).with_name("prefixlab"))
HINT = f"(set {DEBUG_ENV}=1 for the traceback)"
# The right unwrapper that starts quickly: the model's unwrap itself.
QUICK = (f"{sys.executable} -c 'import sys; from prefixlab.model.scripts.wrap import unwrap; "
         "sys.stdout.buffer.write(unwrap(open(sys.argv[1], \"rb\").read(), "
         "sys.argv[2].encode()).text)' {script} {python}")
LINE_THREE = 'echo "#!"{python}; sed -e 1d -e 3d {script}'  # nixpkgs #297628, reverted


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != DEBUG_ENV}
    return subprocess.run([PREFIXLAB, *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env={**environ, **(env or {})})


def one_line(done: subprocess.CompletedProcess[str], command: str) -> str:
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"prefixlab {command}: "), lines[0]
    assert f"prefixlab {command}: {command}:" not in lines[0]  # the command named once
    return lines[0]


def newest() -> Interpreter:
    found = [i for i in in_scope_interpreters() if i.version and i.version >= (3, 11)]
    require_oracle(bool(found), "no CPython 3.11+ interpreter here")
    return found[-1]


# -- the table, where users read it -------------------------------------------------------------
def readme_table() -> list[tuple[str, str, str, str]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Exit codes\n"):text.index("### JSON\n")]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            assert cells[4] == "internal error", line
            command, zero, one, two = (c.replace("`", "") for c in cells[:4])
            rows.append((command, zero, one, two))
    return rows


def test_readme_and_help_show_the_one_table() -> None:
    assert readme_table() == list(cli.EXIT_CODES)
    shown = " ".join(CliRunner().invoke(cli.main, ["--help"]).stdout.split())
    assert f"rerun with {DEBUG_ENV}=1 for the traceback" in shown
    for command, *meanings in cli.EXIT_CODES:
        assert command in shown
        for code, meaning in enumerate(meanings):
            if meaning != "-":
                assert f"{code} {meaning}" in shown, (command, code)


def test_the_table_names_every_command() -> None:
    import click

    named = {word for row in cli.EXIT_CODES for word in re.split(r", ", row[0])}
    group = cli.main
    commands = set(group.list_commands(click.Context(group))) - {"build"}
    build = group.get_command(click.Context(group), "build")
    assert isinstance(build, click.Group)
    commands |= {f"build {name}" for name in build.list_commands(click.Context(build))}
    assert commands <= named, commands - named


# -- predict, explain, probe: 0 whatever the status, 2 bad input or a refused program ----------
def test_predict_explain_probe() -> None:
    for command in ("predict", "explain", "probe"):
        done = run(command, "--clear-env", "/nonexistent/python")  # exec-failed: an answer
        assert done.returncode == 0, done.stderr
        assert "ENOENT" in done.stdout
        bad = run(command, "--clear-env", "--env", "NOEQUALS", "/nonexistent/python")
        assert bad.returncode == 2 and "expected NAME=VALUE" in one_line(bad, command)
    refused = run("probe", "--clear-env", "/bin/true")  # not an interpreter: never run
    assert refused.returncode == 2 and "not run" in one_line(refused, "probe")


# -- diff and explain --compare: 0 agree, 1 differ, 2 not comparable -----------------------------
@pytest.mark.real
def test_diff_and_explain_compare(tmp_path: Path) -> None:
    interp = newest()
    for command in (["diff"], ["explain", "--compare"]):
        agree = run(*command, "--clear-env", "--cwd", str(tmp_path), interp.path, "-S")
        assert agree.returncode == 0, agree.stdout + agree.stderr
        refused = run(*command, "--clear-env", "/bin/true")
        assert refused.returncode == 2
        assert "not comparable" in one_line(refused, command[0])


def test_diff_and_explain_compare_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    """1 when the probe disagrees with the prediction (a probe stubbed to differ: the
    prediction for a missing program is exec-failed, the stub says it started)."""
    from prefixlab.model.outcome import Outcome

    def started(invocation: object, taken: int = 0) -> Outcome:
        return Outcome("ok", invocation, executable="/x", path=("",))  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "run_probe", started)
    assert CliRunner().invoke(cli.main, ["diff", "--clear-env", "/nonexistent/python"]
                              ).exit_code == 1
    result = CliRunner().invoke(cli.main, ["explain", "--compare", "--clear-env",
                                           "/nonexistent/python"])
    assert result.exit_code == 1, result.output


# -- which: 0 found, 1 not found or no start, 2 bad input or a script first ---------------------
@pytest.mark.real
def test_which(tmp_path: Path) -> None:
    interp = newest()
    found = run("which", "sys", "--clear-env", "--cwd", str(tmp_path), interp.path, "-S")
    assert found.returncode == 0, found.stderr
    missing = run("which", "no_such_module_anywhere", "--clear-env", "--cwd", str(tmp_path),
                  interp.path, "-S")
    assert missing.returncode == 1, missing.stderr
    assert "ModuleNotFoundError" in missing.stdout
    as_json = run("which", "--json", "no_such_module_anywhere", "--clear-env", interp.path)
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["which"]["found"] is None
    no_start = run("which", "json", "--clear-env", "/nonexistent/python")
    assert no_start.returncode == 1 and "does not start" in no_start.stdout
    bad = run("which", ".relative", interp.path)
    assert bad.returncode == 2 and ".relative" in one_line(bad, "which")
    script = tmp_path / "tool"
    script.write_text(f"#!{interp.real_path}\nprint('ran')\n")
    script.chmod(0o755)
    first = run("which", "json", "--clear-env", str(script))
    assert first.returncode == 2 and "No answer" in first.stdout


# -- build venv, build env: 0 built, 2 refused; build check: 0, 1, 2; conform: 2 --------------
@pytest.mark.real
def test_build_and_check(tmp_path: Path) -> None:
    interp = newest()
    (tmp_path / "afile").write_text("")
    for kind in ("venv", "env"):
        extra = ["--package", str(tmp_path)] if kind == "env" else []
        refused = run("build", kind, str(tmp_path / "afile"), "--python", interp.path, *extra)
        assert refused.returncode == 2 and "--force" in one_line(refused, f"build {kind}")
    built = run("build", "venv", str(tmp_path / "v"), "--python", interp.path)
    assert built.returncode == 0, built.stderr
    assert run("build", "check", str(tmp_path / "v")).returncode == 0
    # pip reads include-system-site-packages case-sensitively, site.py does not: a
    # capitalised False splits the readers, a promise that fails.
    cfg = tmp_path / "v" / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace("= false", "= False"))
    assert run("build", "check", str(tmp_path / "v")).returncode == 1
    missing = run("build", "check", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and one_line(missing, "build check")
    unknown = run("conform", "no-such-builder")
    assert unknown.returncode == 2 and "no-such-builder" in one_line(unknown, "conform")


# -- unwrap: 0 unwrapped, 2 not a wrapped script -------------------------------------------------
def test_unwrap(tmp_path: Path) -> None:
    original = b"#!/usr/bin/python3\nimport os\nprint(os.sep)\n"
    (tmp_path / "wrapped").write_bytes(wrap(original, b"/nix/store/x/bin/python3",
                                            sitedirs=["/nix/store/y/site-packages"]))
    done = subprocess.run([PREFIXLAB, "unwrap", str(tmp_path / "wrapped"), "--python",
                           "/usr/bin/python3"], capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout == original, done.stderr
    (tmp_path / "plain").write_bytes(original)
    refused = run("unwrap", str(tmp_path / "plain"), "--python", "/p")
    assert refused.returncode == 2 and "not a wrapped script" in one_line(refused, "unwrap")


# -- fuzz-unwrap: 0 nothing found, 1 a finding, 2 bad input or a command that cannot run -------
def test_fuzz_unwrap(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    right = run("fuzz-unwrap", "--cmd", QUICK, "--max-examples", "5", "--seed", "1", env=env)
    assert right.returncode == 0, right.stdout + right.stderr
    assert right.stdout.startswith("No finding: COMMAND unwrapped ")
    wrong = run("fuzz-unwrap", "--cmd", LINE_THREE, "--seed", "0", "--budget", "20", env=env)
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert wrong.stdout.startswith("Finding after ")
    for command in ("", "exit 3"):
        broken = run("fuzz-unwrap", "--cmd", command, env=env)
        assert broken.returncode == 2 and "--cmd" in one_line(broken, "fuzz-unwrap")


# -- 3: prefixlab itself fails ---------------------------------------------------------------------
def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


@pytest.mark.parametrize(("args", "module", "attribute"), [
    (["predict", "--clear-env", "/bin/true"], "prefixlab.impl.cli.main", "predict"),
    (["explain", "--clear-env", "/bin/true"], "prefixlab.impl.render.narrate", "explain"),
    (["which", "json", "--clear-env", "/bin/true"], "prefixlab.impl.cli.which", "predict"),
    (["unwrap", "/etc/hostname", "--python", "/p"], "prefixlab.impl.cli.unwrap", "unwrap"),
    (["fuzz-unwrap", "--cmd", "cat {script}"], "prefixlab.impl.checks.fuzz_unwrap", "sanity"),
])
def test_an_internal_error_is_exit_3_with_the_hint(
        monkeypatch: pytest.MonkeyPatch, args: list[str], module: str, attribute: str) -> None:
    import importlib

    monkeypatch.delenv(DEBUG_ENV, raising=False)
    monkeypatch.setattr(importlib.import_module(module), attribute, _boom)
    result: Result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 3, result.output
    assert result.stderr == (f"prefixlab {args[0]}: internal error: RuntimeError: boom "
                             f"{HINT}\n")
    assert result.stdout == ""


def test_debug_lets_the_internal_error_propagate(monkeypatch: pytest.MonkeyPatch) -> None:
    """PREFIXLAB_DEBUG=1, as the hint says: the exception itself, traceback and all."""
    monkeypatch.setattr(cli, "predict", _boom)
    monkeypatch.setenv(DEBUG_ENV, "1")
    result = CliRunner().invoke(cli.main, ["predict", "--clear-env", "/bin/true"])
    assert isinstance(result.exception, RuntimeError) and str(result.exception) == "boom"
    assert result.exc_info is not None and result.exc_info[2] is not None
    bad = CliRunner().invoke(cli.main, ["predict", "--env", "X", "/bin/true"])
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1  # bad input: still one line
