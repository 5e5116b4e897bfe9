"""impl/cli/build_venv.py's click-free start loads neither the error report nor the escaping
on a build that succeeds: its stand-ins must say what those say."""

from __future__ import annotations

import subprocess
import sys

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
