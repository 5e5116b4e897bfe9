"""prefixlab's own options, before the command: --version, -q, -v, --color, and NO_COLOR.

Terminal behaviour is checked on a real pseudo-terminal: rich decides by what stdout is.
Expected values are the installed package's metadata, ECMA-48's escape sequences (CSI ... m
sets colours: 30-37 foreground, 1 bold) and no-color.org's rule (set and not empty)."""

from __future__ import annotations

import importlib.metadata
import os
import pty
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, in_scope_interpreters, require_oracle

from prefixlab.impl.cli import main as cli
from prefixlab.impl.cli.errors import DEBUG_ENV

PREFIXLAB = str(Path(sys.executable).with_name("prefixlab"))
ESC = "\x1b["
GREEN = "\x1b[1;32m"  # rich's "bold green": diff's line saying prediction and probe agree
# The right unwrapper that starts quickly: the model's unwrap itself.
QUICK = (f"{sys.executable} -c 'import sys; from prefixlab.model.scripts.wrap import unwrap; "
         "sys.stdout.buffer.write(unwrap(open(sys.argv[1], \"rb\").read(), "
         "sys.argv[2].encode()).text)' {script} {python}")


def environ(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def on_terminal(*args: str, env: dict[str, str], stream: str = "stdout",
                timeout: float = 120) -> tuple[int, str]:
    """Run prefixlab with ``stream`` (stdout or stderr) on a pseudo-terminal, the other one
    a pipe; (exit status, what the terminal received)."""
    leader, follower = pty.openpty()
    env = {**env, "COLUMNS": "200", "TERM": "xterm"}
    streams = {"stdout": follower, "stderr": subprocess.PIPE} if stream == "stdout" else {
        "stdout": subprocess.PIPE, "stderr": follower}
    child = subprocess.Popen([PREFIXLAB, *args], env=env, stdin=subprocess.DEVNULL,
                             **streams)  # type: ignore[call-overload]
    os.close(follower)
    received = bytearray()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    status = child.wait(timeout=timeout)
    for pipe in (child.stdout, child.stderr):
        if pipe is not None:
            pipe.close()
    return status, received.decode("utf-8", "replace")


def piped(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PREFIXLAB, *args], capture_output=True, text=True, env=env,
                          timeout=120)


DIFF = ("diff", "--clear-env", "/nonexistent/python")  # predicted and probed: exec-failed


# -- --version, -V -------------------------------------------------------------------------------
def test_version_from_the_installed_metadata() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert importlib.metadata.version("prefixlab") == declared
    for option in ("--version", "-V"):
        done = piped(option, env=environ())
        assert done.returncode == 0 and done.stderr == ""
        assert done.stdout == f"prefixlab {declared}\n"


# -- -q, -v ---------------------------------------------------------------------------------------
def test_quiet_and_verbose_are_read_by_commands() -> None:
    import click

    seen: list[cli.GlobalOptions] = []

    @cli.main.command(name="_probe_options", hidden=True)
    def _command() -> None:
        seen.append(cli.global_options())

    try:
        for args, expected in ((["-q"], cli.GlobalOptions(quiet=True)),
                               (["--verbose"], cli.GlobalOptions(verbose=True)),
                               (["--color", "never"], cli.GlobalOptions(color="never")),
                               ([], cli.GlobalOptions())):
            result = CliRunner().invoke(cli.main, [*args, "_probe_options"])
            assert result.exit_code == 0, result.output
            assert seen.pop() == expected
    finally:
        cli.main.commands.pop("_probe_options")
    assert click.get_current_context(silent=True) is None
    assert cli.global_options() == cli.GlobalOptions()  # outside a command line: defaults


def test_quiet_and_verbose_together_are_bad_input() -> None:
    result = CliRunner().invoke(cli.main, ["-q", "-v", "predict", "/bin/true"])
    assert result.exit_code == 2
    assert result.stderr == "prefixlab: -q and -v: choose one\n"


def test_verbose_shows_the_traceback_of_an_internal_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "predict", broken)
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    plain = CliRunner().invoke(cli.main, ["predict", "--clear-env", "/bin/true"])
    verbose = CliRunner().invoke(cli.main, ["-v", "predict", "--clear-env", "/bin/true"])
    line = ("prefixlab predict: internal error: RuntimeError: boom (set PREFIXLAB_DEBUG=1 for "
            "the traceback)\n")
    assert plain.exit_code == verbose.exit_code == 3
    assert plain.stderr == line
    assert verbose.stderr.startswith("Traceback (most recent call last):\n")
    assert "RuntimeError: boom\n" in verbose.stderr and verbose.stderr.endswith(line)


def test_quiet_silences_the_progress_display(tmp_path: Path) -> None:
    """fuzz-unwrap shows its progress on a terminal's stderr; -q leaves stderr empty and the
    answer on stdout the same."""
    args = ("fuzz-unwrap", "--cmd", QUICK, "--max-examples", "40", "--seed", "3")
    env = environ(XDG_CACHE_HOME=str(tmp_path))
    status, shown = on_terminal(*args, env=env, stream="stderr")
    assert status == 0 and "fuzz-unwrap: " in shown and "script" in shown
    status, shown = on_terminal("-q", *args, env=env, stream="stderr")
    assert status == 0 and shown == ""
    assert piped("-q", *args, env=env).stdout == piped(*args, env=env).stdout


# -- --color and NO_COLOR -----------------------------------------------------------------------
def test_a_terminal_gets_colours_unless_no_color() -> None:
    status, shown = on_terminal(*DIFF, env=environ())
    assert status == 0 and GREEN in shown
    status, shown = on_terminal(*DIFF, env=environ(NO_COLOR="1"))
    assert status == 0 and "Prediction and probe agree" in shown
    assert GREEN not in shown and "\x1b[32m" not in shown and ESC in shown  # bold stays
    status, shown = on_terminal(*DIFF, env=environ(NO_COLOR=""))  # empty: not set
    assert status == 0 and GREEN in shown


def test_color_never_is_plain_text_on_a_terminal() -> None:
    status, shown = on_terminal("--color", "never", *DIFF, env=environ())
    assert status == 0 and "Prediction and probe agree on every key." in shown
    assert ESC not in shown


def test_color_always_colours_a_pipe_even_under_no_color() -> None:
    plain = piped(*DIFF, env=environ())
    assert plain.returncode == 0 and ESC not in plain.stdout
    for env in (environ(), environ(NO_COLOR="1")):
        forced = piped("--color", "always", *DIFF, env=env)
        assert forced.returncode == 0 and GREEN in forced.stdout


def test_color_takes_only_its_three_values() -> None:
    result = CliRunner().invoke(cli.main, ["--color", "sometimes", "predict", "/bin/true"])
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "'sometimes' is not one of 'auto', 'always', 'never'" in result.stderr


def test_values_are_not_rich_markup(tmp_path: Path) -> None:
    """A path holding what rich would read as markup is shown as typed on a terminal."""
    program = str(tmp_path / "[bold]x[/bold]" / "python")
    status, shown = on_terminal("explain", "--clear-env", program, env=environ())
    assert status == 0 and "[bold]x[/bold]" in shown


# -- -q before build venv: the click-free start takes it -----------------------------------------
def test_quiet_before_build_venv_keeps_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefixlab.impl.cli import build_venv, launch

    seen: list[list[str]] = []

    def fast_main(args: list[str]) -> int:
        seen.append(args)
        return 0

    monkeypatch.setattr(build_venv, "fast_main", fast_main)
    for quiet in ("-q", "--quiet"):
        monkeypatch.setattr(sys, "argv", ["prefixlab", quiet, "build", "venv", "v", "--python",
                                          "p"])
        with pytest.raises(SystemExit) as ended:
            launch.main()
        assert ended.value.code == 0
    assert seen == [["v", "--python", "p", "--quiet"]] * 2


def test_quiet_silences_build_venvs_announcement(tmp_path: Path) -> None:
    """A version request is announced on stderr ("Using CPython ..."), unless -q."""
    found = [i for i in in_scope_interpreters() if i.version]
    require_oracle(bool(found), "no CPython 3.8+ interpreter here")
    assert found[-1].version is not None
    request = "%d.%d" % found[-1].version[:2]
    said = piped("build", "venv", str(tmp_path / "a"), "--python", request, env=environ())
    assert said.returncode == 0 and said.stderr.startswith("Using CPython ")
    quiet = piped("-q", "build", "venv", str(tmp_path / "b"), "--python", request,
                  env=environ())
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert (tmp_path / "b" / "pyvenv.cfg").exists()
