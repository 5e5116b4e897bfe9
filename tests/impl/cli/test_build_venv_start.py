"""impl/cli/build_venv.py's click-free start loads neither the error report nor the escaping
on a build that succeeds: its stand-ins must say what those say."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import in_scope_interpreters, require_oracle
from hypothesis import given
from hypothesis import strategies as st

from prefixlab.impl.cli import build_venv, errors
from prefixlab.impl.render.escape import show


def test_exit_ok_is_errors() -> None:
    assert build_venv.EXIT_OK == errors.EXIT_OK


@given(st.text() | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e)))
def test_show_is_escapes(text: str) -> None:
    assert build_venv.show(text) == show(text)


def test_the_start_loads_no_escaping() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; import prefixlab.impl.cli.build_venv; "
         "print(sorted(m for m in sys.modules if m in ('prefixlab.impl.render.escape', "
         "'prefixlab.impl.cli.errors')))"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


HEAVY = ("dataclasses", "inspect", "subprocess", "shutil", "platform", "tempfile", "click",
         "rich", "prefixlab.impl.cli.errors")
"""What a cold build venv does without: the model's values are made by model/speedups.py's
dataclass, the learner run is spawned without subprocess (impl/host/learner.py)."""


@pytest.mark.real
def test_a_cold_build_loads_none_of_the_heavy_modules(tmp_path: Path) -> None:
    found = [i for i in reversed(in_scope_interpreters()) if i.source == "pyenv"]
    require_oracle(bool(found), "a pyenv interpreter (its binary can be copied and run)")
    # A copy of its own: other tests hard-link the interpreters' binaries, and a binary whose
    # ctime moved after the learner run started is learned again the ordinary way.
    binary = tmp_path / "bin" / "python3"
    binary.parent.mkdir()
    shutil.copy2(found[0].real_path, binary)
    code = ("import json, sys\nfrom prefixlab.impl.cli.build_venv import fast_main\n"
            f"status = fast_main([{str(tmp_path / 'venv')!r}, '--python', "
            f"{str(binary)!r}, '--quiet'])\n"
            f"print(json.dumps([status, sorted(m for m in sys.modules if m in {HEAVY!r})]))\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}  # nothing learned
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [0, []]
    assert (tmp_path / "venv" / "pyvenv.cfg").is_file()
