"""What the command line says, each fix run through its real error or output path and checked
on one line: a command, an errno or a kind said once, counts with the noun in the right
number, prefixlab's wrapper named by what exists, a path the kernel refuses reported the same
way by every command, and a diff that marks a missing final newline as diff(1) does."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import in_scope_interpreters, require_oracle

from prefixlab.impl.checks import fuzz_unwrap as fuzz
from prefixlab.impl.cli import main as cli
from prefixlab.impl.cli import unwrap as unwrapping
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.strategies.scripts import Script

PREFIXLAB = str(Path(sys.executable).with_name("prefixlab"))
MISSING = "/nonexistent/python"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PREFIXLAB, *args], capture_output=True, text=True, timeout=120)


def line_with(output: str, part: str) -> str:
    found = [line for line in output.splitlines() if part in line]
    assert len(found) == 1, output
    return found[0]


def newest() -> Interpreter:
    found = [i for i in in_scope_interpreters() if i.version and i.version >= (3, 11)]
    require_oracle(bool(found), "no CPython 3.11+ interpreter here")
    return found[-1]


# -- the command named once --------------------------------------------------------------------
def test_explain_without_program_names_itself_once() -> None:
    result = invoke("explain", "--clear-env", "--env", "PATH=/nonexistent")
    assert result.exit_code == 2
    assert result.stderr == ("prefixlab explain: no PROGRAM given and no python3 on PATH to "
                             "ask for the default interpreter\n")


def test_an_error_from_inside_a_command_names_the_command(tmp_path: Path) -> None:
    """A path with a component the kernel refuses (over NAME_MAX, 255 bytes) cannot be read:
    every command says so the same way, one line naming itself, nothing on stdout, exit 2,
    with --json as without."""
    program = str(tmp_path / ("a" * 256) / "python")
    too_long = os.strerror(errno.ENAMETOOLONG)
    for command in (["predict"], ["probe"], ["explain"], ["diff"], ["which", "json"]):
        for as_json in ([], ["--json"]):
            done = run(*command, *as_json, "--clear-env", program)
            assert done.returncode == 2 and done.stdout == "", (command, as_json)
            line = line_with(done.stderr, too_long)
            assert done.stderr == line + "\n"
            assert line.startswith(f"prefixlab {command[0]}: ") and "a" * 256 in line


# -- unknown options -------------------------------------------------------------------------------
UNKNOWN = [[], ["predict"], ["probe"], ["explain"], ["explain", "--compare"], ["diff"],
           ["which", "json"], ["interpreters"], ["unwrap", "x", "--python", "p"],
           ["fuzz-unwrap", "--cmd", "cat {script}"]]


@pytest.mark.parametrize("command", UNKNOWN, ids=lambda c: " ".join(c) or "prefixlab")
def test_an_unknown_option_is_an_error_everywhere(command: list[str]) -> None:
    """Before PROGRAM (or anywhere, for a command without one) an option the command does
    not know is bad input naming the command; a flag given a value too."""
    name = " ".join(["prefixlab", *command[:1]])
    for option in ("--bogus", "-Z"):
        result = invoke(*command, option, MISSING)
        assert result.exit_code == 2 and result.stdout == "", result.output
        assert result.stderr == (f"{name}: No such option '{option}'. (see '{name} "
                                 "--help')\n") or (result.stderr.startswith(f"{name}: No such "
                                                    f"option '{option}'. Did you mean")), \
            result.stderr
    if command and command[0] not in ("unwrap", "fuzz-unwrap", "interpreters"):
        result = invoke(*command, "--json=1", MISSING)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"{name}: Option '--json' does not take a value.")


# -- which: the kind said once ---------------------------------------------------------------------
@pytest.mark.real
def test_which_says_built_in_and_frozen_once(tmp_path: Path) -> None:
    interp = newest()
    for name in ("sys", "zipimport"):
        origin = subprocess.run(
            [interp.path, "-S", "-c", f"import importlib.util as u; print(u.find_spec({name!r})"
             ".origin)"], capture_output=True, text=True, check=True).stdout.strip()
        require_oracle(origin in ("built-in", "frozen"), f"{name} is neither here")
        result = invoke("which", name, "--clear-env", "--cwd", str(tmp_path), interp.path, "-S")
        assert result.exit_code == 0, result.output
        line = line_with(result.stdout, "found ")
        assert line.split() == ["found", origin, "module"]


# -- an errno said once ----------------------------------------------------------------------------
def test_an_exec_failure_names_its_errno_once() -> None:
    predicted = invoke("predict", "--clear-env", MISSING)
    assert predicted.exit_code == 0
    assert line_with(predicted.stdout, "error").split() == ["error", f"{MISSING}:", "ENOENT"]
    explained = invoke("explain", "--clear-env", MISSING)
    assert line_with(explained.stdout, "In short").count("ENOENT") == 1
    which = invoke("which", "json", "--clear-env", MISSING)
    assert which.exit_code == 1
    assert line_with(which.stdout, "does not start").count("ENOENT") == 1
    data = json.loads(invoke("which", "--json", "json", "--clear-env", MISSING).stdout)
    assert data["why"].count("ENOENT") == 1


# -- counts --------------------------------------------------------------------------------------
def test_one_variable_is_one_variable() -> None:
    result = invoke("explain", "--clear-env", "--env", "A=1", MISSING)
    assert line_with(result.stdout, "env ").split()[1:3] == ["1", "variable;"]
    result = invoke("explain", "--clear-env", "--env", "A=1", "--env", "B=2", MISSING)
    assert line_with(result.stdout, "env ").split()[1:3] == ["2", "variables;"]


def _finding(expected: bytes, printed: bytes) -> fuzz.Finding:
    script = Script(b"#!", b"/usr/bin/python3", b"", b"\n", expected.partition(b"\n")[2])
    return fuzz.Finding(script, b"wrapped\n", expected, fuzz.Run(0, printed, b"", 0.1),
                        "cat x", "cat {script}")


def test_a_finding_after_one_script() -> None:
    finding = _finding(b"#!/p\nprint(1)\n", b"#!/p\n")
    assert unwrapping.report(finding, 1).startswith(
        "Finding after 1 script: it printed something other than the original script.\n")
    assert unwrapping.report(finding, 2).startswith("Finding after 2 scripts: ")


# -- unwrap names what exists ----------------------------------------------------------------------
def test_unwrap_refusal_names_the_wrapper_that_exists(tmp_path: Path) -> None:
    (tmp_path / "plain").write_bytes(b"#!/usr/bin/python3\nprint(1)\n")
    done = run("unwrap", str(tmp_path / "plain"), "--python", "/p")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "prefixlab wrap " not in done.stderr
    assert "prefixlab.model.scripts.wrap.wrap" in done.stderr
    from prefixlab.model.scripts.wrap import wrap

    assert callable(wrap)
    assert "wrap" not in cli.main.list_commands(None)  # type: ignore[arg-type]


# -- fuzz-unwrap's diff is diff -u's ------------------------------------------------------------
DIFF_CASES = [
    (b"a\nb\n", b"a\nb"),        # what COMMAND printed lacks the final newline
    (b"a\nb", b"a\nb\n"),        # the script itself lacks one
    (b"a\nb", b"a\nc"),          # both do
    (b"x\r\ny\n", b"x\ny\n"),    # CR-LF: the CR belongs to the line
    (b"p\rq\n", b"p\nq\n"),      # a lone CR ends no line for diff
]


@pytest.mark.parametrize(("expected", "got"), DIFF_CASES)
def test_the_diff_is_what_diff_u_shows(tmp_path: Path, expected: bytes, got: bytes) -> None:
    (tmp_path / "expected").write_bytes(expected)
    (tmp_path / "got").write_bytes(got)
    real = subprocess.run(["diff", "-U2", "expected", "got"], capture_output=True,
                          cwd=tmp_path).stdout
    body = real.decode().split("\n", 2)[2]  # the two header lines name the files and times
    ours = "".join(unwrapping._diff(expected, got)).split("\n", 2)[2]
    assert ours == body.replace("\r", "\\r")  # ours escapes a CR, as every value


def test_the_report_marks_the_missing_newline() -> None:
    text = unwrapping.report(_finding(b"#!/p\nprint(1)\n", b"#!/p\nprint(1)"), 1)
    diff = text[text.index("Diff (expected"):text.index("Reproduce with:")]
    assert "-print(1)\n+print(1)\n\\ No newline at end of file\n" in diff


def test_a_cut_output_gets_no_marker_for_its_cut() -> None:
    """COMMAND's output is shown up to 8 KiB: a line cut there did not end the file, so the
    diff does not say it lacks a newline; the script's own missing newline is still said."""
    printed = b"#!/p\n" + b"x" * (9 << 10)
    text = unwrapping.report(_finding(b"#!/p\nprint(1)\n", printed), 1)
    diff = text[text.index("Diff (expected"):text.index("Reproduce with:")]
    assert "No newline at end of file" not in diff and "(the diff stops there too)" in diff
    text = unwrapping.report(_finding(b"#!/p\nprint(1)", printed), 1)
    diff = text[text.index("Diff (expected"):text.index("Reproduce with:")]
    assert "-print(1)\n\\ No newline at end of file\n" in diff


# -- no command ------------------------------------------------------------------------------------
def test_no_command_shows_the_help_as_help_does() -> None:
    """`prefixlab` alone (or `prefixlab build`) is missing its command: the help on stderr,
    laid out as --help lays it out, exit 2."""
    for group in ([], ["build"]):
        helped = run(*group, "--help")
        alone = run(*group)
        assert helped.returncode == 0 and alone.returncode == 2
        assert alone.stdout == "" and alone.stderr == helped.stdout
