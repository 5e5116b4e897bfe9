"""`prefixlab which` on the command line: argument handling, text and JSON output.

The answers themselves are checked against the real importlib in test_which.py; here the
expected values are facts about the interpreter run (sys is built in; a module file put in
the working directory wins for -c, whose sys.path[0] is the working directory).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from prefixlab.impl.cli import main as cli
from prefixlab.impl.host.interpreters import Interpreter

from conftest import in_scope_interpreters, require_oracle


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args))


def some_interpreter() -> Interpreter:
    found = list(in_scope_interpreters())
    require_oracle(bool(found), "no CPython 3.8+ interpreter was found on this machine")
    return found[-1]


@pytest.mark.parametrize("args, named", [
    ((), "MODULE"),
    (("--json",), "MODULE"),
    ((".rel", "python3"), ".rel"),
    (("a..b", "python3"), "a..b"),
    (("pkg/mod.py", "python3"), "pkg/mod.py"),
])
def test_bad_module_is_one_line_exit_2(args: tuple[str, ...], named: str) -> None:
    result = invoke("which", *args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in result.output


def test_module_before_or_after_the_options(tmp_path: Path) -> None:
    interp = some_interpreter()
    (tmp_path / "mine.py").write_text("")
    for args in (("mine", "--cwd", str(tmp_path), "--json", interp.path, "-S"),
                 ("--cwd", str(tmp_path), "--json", "mine", interp.path, "-S")):
        result = invoke("which", *args)
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["which"]["found"]["origin"] == str(tmp_path / "mine.py")
        assert {"schema", "status", "which", "invocation", "trace", "install"} <= set(data)
        assert any(step["rule"] == "which.found" for step in data["trace"])


def test_text_output_names_the_winner_and_the_rules(tmp_path: Path) -> None:
    interp = some_interpreter()
    result = invoke("which", "--cwd", str(tmp_path), "sys", interp.path, "-S")
    assert result.exit_code == 0, result.output
    assert "found       built-in module\n" in result.output  # the kind said once
    assert "[rule which.builtin]" in result.output


def test_a_failed_start_imports_nothing(tmp_path: Path) -> None:
    result = invoke("which", "--json", "json", str(tmp_path / "no-such-python"))
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["status"] == "exec-failed" and data["which"] is None
