"""tools/test_venv_swap.py: CPython's own test_venv.py, with EnvBuilder.create swapped for
`prefixlab build venv`, has no failure among the tests that apply (one interpreter by
default, every one under --sweep).  A swap to a builder that always fails must fail them:
the swap is live, and the passes are prefixlab's."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import REPO, in_scope_interpreters, interpreter_id, require_oracle
from prefixlab.impl.host.interpreters import Interpreter


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("test_venv_swap_tool",
                                                  REPO / "tools" / "test_venv_swap.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


TOOL = _tool()
WITH_TESTS = [i for i in in_scope_interpreters() if TOOL.stdlib_test_venv(i.path) is not None]


def _version(interp: Interpreter) -> str:
    assert interp.version is not None
    return "%d.%d.%d" % interp.version


def _check(interp: Interpreter, tmp_path: Path) -> None:
    report = TOOL.run_one(interp.path, _version(interp), tmp_path)
    assert report.error == "", report.error
    assert report.failed == [], TOOL.table(report)
    assert report.count("passed") >= 10, TOOL.table(report)
    reasons = {r["reason"] for r in report.rows if r["outcome"] == "excluded"}
    assert all(r for r in reasons), reasons  # every exclusion says why


@pytest.mark.real
def test_test_venv_passes_with_prefixlab_as_the_builder(tmp_path: Path) -> None:
    require_oracle(bool(WITH_TESTS), "no interpreter here ships its test suite")
    _check(WITH_TESTS[-1], tmp_path)


@pytest.mark.real
@pytest.mark.sweep
@pytest.mark.parametrize("interp", WITH_TESTS, ids=interpreter_id)
def test_test_venv_passes_on_every_interpreter(tmp_path: Path, interp: Interpreter) -> None:
    _check(interp, tmp_path)


@pytest.mark.real
def test_the_swap_is_live(tmp_path: Path) -> None:
    require_oracle(bool(WITH_TESTS), "no interpreter here ships its test suite")
    interp = WITH_TESTS[-1]
    report = TOOL.run_one(interp.path, _version(interp), tmp_path, program="/bin/false")
    assert report.error == ""
    assert report.count("failed") >= 10
