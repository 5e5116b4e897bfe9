"""How the command line ends (impl/cli/errors.py), the same for the click front end and the
click-free start of ``build venv``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from prefixlab.impl.builders.venv import BuildVenvError
from prefixlab.impl.cli import build_venv, errors
from prefixlab.impl.cli.badinput import BadInput
from prefixlab.impl.host.interpreters import InterpreterError
from prefixlab.impl.host.snapshot import SnapshotError
from prefixlab.model.builders.venv import Options
from prefixlab.model.errors import NotModelled, PrefixlabError
from prefixlab.model.exec.bashwords import Unsupported
from prefixlab.model.world.build import UnsupportedVersion
from prefixlab.model.world.fs import LayoutError


def test_the_kinds_a_front_end_reports_as_bad_input() -> None:
    for error in (BadInput("x"), BuildVenvError("x"), SnapshotError("x"), InterpreterError("x"),
                  NotModelled("x"), UnsupportedVersion("x"), Unsupported("x")):
        assert errors.is_bad_input(error), error
    for other in (PrefixlabError("x"), RuntimeError("x")):
        assert not errors.is_bad_input(other)
    # Kept where callers catch the builtin kind: a LayoutError is still a ValueError.
    assert isinstance(LayoutError("x"), ValueError) and errors.is_bad_input(LayoutError("x"))


def test_report_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert errors.report(BuildVenvError("a\n  b"), "prefixlab build venv") == 2
    assert capsys.readouterr().err == "prefixlab build venv: a b\n"
    assert errors.report(SnapshotError("/x/\udcff: gone"), "prefixlab") == 2
    assert capsys.readouterr().err == "prefixlab: /x/\\xff: gone\n"
    assert errors.report(KeyError("k"), "prefixlab") == 3
    assert capsys.readouterr().err == ("prefixlab: internal error: KeyError: 'k' (set "
                                       "PREFIXLAB_DEBUG=1 for the traceback)\n")


def test_only_internal_errors_propagate_and_only_when_asked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(errors.DEBUG_ENV, raising=False)
    assert not errors.propagates(RuntimeError("x"))
    monkeypatch.setenv(errors.DEBUG_ENV, "")
    assert not errors.propagates(RuntimeError("x"))
    monkeypatch.setenv(errors.DEBUG_ENV, "1")
    assert errors.propagates(RuntimeError("x")) and errors.propagates(PrefixlabError("x"))
    assert not errors.propagates(BuildVenvError("x"))


def _build_raising(error: Exception) -> object:
    def build(*args: object, **kwargs: object) -> object:
        raise error
    return build


def test_the_fast_path_ends_as_the_click_commands_do(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(errors.DEBUG_ENV, raising=False)
    monkeypatch.setattr(build_venv, "build_venv", _build_raising(BuildVenvError("v: no")))
    assert build_venv.run("v", "python3", Options(), force=False, use_cache=True) == 2
    assert capsys.readouterr().err == "prefixlab build venv: v: no\n"
    monkeypatch.setattr(build_venv, "build_venv", _build_raising(RuntimeError("boom")))
    assert build_venv.fast_main(["v", "--python", "python3"]) == 3
    assert capsys.readouterr().err == ("prefixlab build venv: internal error: RuntimeError: "
                                       "boom (set PREFIXLAB_DEBUG=1 for the traceback)\n")
    monkeypatch.setenv(errors.DEBUG_ENV, "1")
    with pytest.raises(RuntimeError, match="boom"):
        build_venv.run("v", "python3", Options(), force=False, use_cache=True)


def test_the_fast_path_does_not_import_click() -> None:
    code = ("import sys, prefixlab.impl.cli.launch, prefixlab.impl.cli.build_venv; "
            "print(sorted(m for m in sys.modules if m == 'click' or m.startswith('click.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
