"""No value forges a line of text output: a newline in argv[0], a program path, a cwd or an
environment value is shown escaped (`\\n`, as `ls -b` writes it), a backslash doubled, an
undecodable byte as `\\xNN` (README); JSON keeps the value as it is."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import in_scope_interpreters, require_oracle

from prefixlab.impl.cli import main as cli

FORGED = "sys.prefix  forged"  # what a field line looks like


def python(tmp_path: Path) -> Path:
    found = [i for i in in_scope_interpreters() if i.version and i.version[:2] >= (3, 11)]
    require_oracle(bool(found), "no CPython 3.11+ interpreter here")
    link = tmp_path / f"py\n{FORGED}"
    link.symlink_to(found[-1].real_path)
    return link


def text(*args: str) -> str:
    result = CliRunner().invoke(cli.main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines()]


@pytest.mark.parametrize("command", ["predict", "explain"])
def test_a_newline_in_the_program_path_forges_no_line(tmp_path: Path, command: str) -> None:
    program = python(tmp_path)
    output = text(command, "--clear-env", "--cwd", str(tmp_path), str(program), "-S")
    assert FORGED not in lines(output)
    assert f"py\\n{FORGED}" in output


def test_a_newline_in_argv0_forges_no_line(tmp_path: Path) -> None:
    program = python(tmp_path)
    output = text("explain", "--clear-env", "--argv0", f"x\n{FORGED}", str(program), "-S")
    assert FORGED not in lines(output)
    assert f"x\\n{FORGED}" in output


def test_an_environment_value_is_escaped_once(tmp_path: Path) -> None:
    program = python(tmp_path)
    output = text("explain", "--clear-env", "--env", "PYTHONPATH=/a\\b\n/c\tz",
                  str(program), "-S")
    assert "PYTHONPATH=/a\\\\b\\n/c\\tz" in output
    assert "/c" not in lines(output)


def test_an_undecodable_byte_is_shown_once_in_argv(tmp_path: Path) -> None:
    program = python(tmp_path)
    output = text("explain", "--clear-env", "--argv0", os.fsdecode(b"x\xffy"), str(program),
                  "-S")
    assert "'x\\xffy'" in output and "\\\\xff" not in output


def test_json_keeps_the_value(tmp_path: Path) -> None:
    program = python(tmp_path)
    data = json.loads(text("predict", "--json", "--clear-env", str(program), "-S"))
    assert data["invocation"]["program"] == str(program)


@pytest.mark.parametrize("command", ["probe", "diff"])
def test_a_refusal_quotes_a_script_line_escaped_once(tmp_path: Path, command: str) -> None:
    """The model's reason quotes the line it did not understand as a Python repr (a
    backslash written \\\\ once); the refusal shows that repr as it is, not escaped again."""
    script = tmp_path / "tool"
    script.write_text("#!/bin/sh\necho a\\b\n")
    script.chmod(0o755)
    result = CliRunner().invoke(cli.main, [command, str(script)])
    assert result.exit_code == 2, result.output
    assert "'echo a\\\\b'" in result.output, result.output
    assert "a\\\\\\\\b" not in result.output, result.output
