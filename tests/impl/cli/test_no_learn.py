"""predict --no-learn runs nothing: an interpreter-looking binary whose build constants are
not cached is not-modelled, and the reason says so.

Without the flag, predict runs such a binary once to learn its constants (README, predict):
a stub named python3.99 that records that it ran shows both.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import in_scope_interpreters, require_oracle

from prefixlab.impl.builders import cwrapper
from prefixlab.impl.cli import main as cli


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args))


def recording_stub(root: Path) -> tuple[Path, Path]:
    """An ELF binary named like an interpreter that creates a file when it runs."""
    require_oracle(cwrapper.compiler() is not None, "no C compiler here")
    log = root / "ran"
    stub = root / "python3.99"
    cwrapper.compile_wrapper(
        f'#include <stdio.h>\nint main(void) {{ FILE *f = fopen("{log}", "w"); '
        "if (f) fclose(f); return 1; }\n", str(stub))
    return stub, log


def test_no_learn_runs_nothing_and_says_why(tmp_path: Path) -> None:
    stub, log = recording_stub(tmp_path)
    result = invoke("predict", "--json", "--no-learn", "--cwd", str(tmp_path), str(stub), "-S")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "not-modelled" and not log.exists()
    assert "--no-learn" in data["error"]["message"]
    learned = json.loads(invoke("predict", "--json", "--cwd", str(tmp_path), str(stub),
                                "-S").stdout)
    assert log.exists() and learned["status"] == "not-modelled"  # it was run, and failed


@pytest.mark.real
def test_no_learn_uses_cached_constants(tmp_path: Path) -> None:
    found = list(in_scope_interpreters())  # discovery learns (and caches) their constants
    require_oracle(bool(found), "no CPython 3.8+ interpreter here")
    args = ["--json", "--cwd", str(tmp_path), found[-1].path, "-S"]
    plain = json.loads(invoke("predict", *args).stdout)
    assert json.loads(invoke("predict", "--no-learn", *args).stdout) == plain


def test_no_learn_with_an_empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = list(in_scope_interpreters())
    require_oracle(bool(found), "no CPython 3.8+ interpreter here")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = json.loads(invoke("predict", "--json", "--no-learn", found[-1].path, "-S").stdout)
    assert data["status"] == "not-modelled" and "--no-learn" in data["error"]["message"]
    assert not (tmp_path / "cache" / "prefixlab" / "constants").exists()


def test_no_learn_and_no_cache_together_are_bad_input() -> None:
    result = invoke("predict", "--no-learn", "--no-cache", "/usr/bin/python3")
    assert result.exit_code == 2 and "--no-learn" in result.output
