"""The command line: its contract (JSON keys, exit codes, one-line errors) and that predict
agrees with probe on real interpreters (the probe is the oracle)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from prefixlab.impl import cli
from prefixlab.impl.interpreters import Interpreter

from conftest import in_scope_interpreters, interpreter_id

INTERPRETERS = list(in_scope_interpreters())
PREFIXLAB = str(Path(sys.executable).with_name("prefixlab"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PREFIXLAB, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_predict_agrees_with_probe(interp: Interpreter, tmp_path: Path) -> None:
    common = ["--cwd", str(tmp_path), "--clear-env", "--env", "PATH=/usr/bin:/bin",
              interp.path, "-S", "-c", "pass"]
    predicted = json.loads(run("predict", "--json", *common).stdout)
    observed = json.loads(run("probe", "--json", *common).stdout)
    assert predicted["schema"] == observed["schema"] == 1
    assert "trace" in predicted and "trace" not in observed
    for key in ("status", "executable", "base_executable", "prefix", "base_prefix",
                "exec_prefix", "base_exec_prefix", "path", "warnings", "version"):
        assert predicted[key] == observed[key], key
    assert observed["status"] == "ok" and observed["path"][0] == ""


@pytest.mark.real
def test_diff_exit_codes(tmp_path: Path) -> None:
    interp = INTERPRETERS[-1]
    same = run("diff", "--cwd", str(tmp_path), "--clear-env", interp.path, "-S")
    assert same.returncode == 0, same.stdout + same.stderr
    # Without -S, site.py adds site-packages to sys.path: not modelled yet, so they differ.
    differs = run("diff", "--json", "--cwd", str(tmp_path), "--clear-env", interp.path)
    assert differs.returncode == 1
    assert "path" in json.loads(differs.stdout)["differences"]


@pytest.mark.parametrize("args", [
    ["predict", "--env", "NOEQUALS", "/bin/true"],
    ["predict"],
    ["predict", "--cwd", "/nonexistent/dir", "/bin/true"],
    ["frobnicate"],
])
def test_bad_input_is_one_line_and_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_not_an_interpreter_is_not_modelled() -> None:
    data = json.loads(run("predict", "--json", "--clear-env", "/bin/true").stdout)
    assert data["status"] == "not-modelled" and data["prefix"] is None
    assert data["error"]["kind"] == "not-an-interpreter"


def test_missing_program_is_an_exec_failure() -> None:
    result = run("predict", "--json", "--clear-env", "/nonexistent/python3")
    assert result.returncode == 0
    assert json.loads(result.stdout)["error"] == {
        "kind": "ENOENT", "message": "/nonexistent/python3: ENOENT"}


def test_surrogates_survive_json(tmp_path: Path) -> None:
    odd = os.fsdecode(b"odd-\xff")
    data = json.loads(run("predict", "--json", "--clear-env", f"{tmp_path}/{odd}/python3").stdout)
    assert data["invocation"]["program"] == f"{tmp_path}/{odd}/python3"


@pytest.mark.real
def test_explain_names_rules_rows_and_graph(tmp_path: Path) -> None:
    interp = INTERPRETERS[-1]
    result = run("explain", "--graph", "--cwd", str(tmp_path), interp.path, "-S")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "rule prefix.os-landmark" in text and "row " in text
    assert "```mermaid\ngraph LR" in text
    assert interp.constants is not None
    assert f"sys.prefix             {interp.constants.prefix!r}" in text


def test_interpreters_lists_the_cache() -> None:
    data = json.loads(run("interpreters", "--json").stdout)
    assert data["cache"] and any(i["in_scope"] for i in data["interpreters"])


def test_main_returns_codes() -> None:
    assert cli.main(["predict", "--env", "X"]) == 2
