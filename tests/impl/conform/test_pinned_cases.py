"""The findings conform made on real builders, pinned as case files (tests/cases/conform/)
and replayed here: each must still reproduce on this machine's interpreter of its version
(or a stand-in of the same version).  What each shows is a fact about CPython and stdlib
venv, explained in the case file itself:

* venv-decoy-above-link: 3.11+ search for the stdlib upward from pyvenv.cfg's home, so a
  venv made through an exe-only link below a decoy ``lib/pythonX.Y/os.py`` does not start
  (Modules/getpath.py; the class of astral-sh/uv#10674);
* venv-of-venv-chain: before 3.11, venv writes home as the outer venv's bin directory
  (Lib/venv/__init__.py uses sys.executable; 3.11 took sys._base_executable, gh-89576);
* venv-relocated-through-a-link: a relocated installation reached through a link on PATH
  gets a venv whose base is the compiled-in PREFIX (3.11+; cpython#106045).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import TESTS, require_oracle
from prefixlab.impl.conform import bases as basing
from prefixlab.impl.conform.replaying import replay_file

CASES = sorted((TESTS / "cases" / "conform").glob("*.json"))

pytestmark = pytest.mark.real


def _version(path: Path) -> tuple[int, int, int]:
    text = json.loads(path.read_text(encoding="utf-8"))["interpreter"]["version"]
    major, minor, micro = (int(p) for p in text.split("."))
    return major, minor, micro


def test_there_are_pinned_cases() -> None:
    assert len(CASES) >= 3


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_a_pinned_finding_still_reproduces(path: Path) -> None:
    version = _version(path)
    here = {b.version for b in basing.bases()}
    require_oracle(version in here, f"the case needs CPython {'.'.join(map(str, version))}, "
                   "which is not found here")
    replayed = replay_file(str(path))
    assert replayed.result.status == "judged", replayed.result.why
    assert replayed.reproduced, replayed.lines()
