"""prefixlab.model.scripts.nixwrap against the real thing: GNU sed and grep running wrapPythonPrograms'
script-editing steps, rebuilt from nixpkgs' source (tests/data/nixpkgs_wrap_python.bash, with
its citation).  The model is our own code; this oracle is independent of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from prefixlab.model.scripts.nixwrap import NixWrap, wrap_python_programs
from prefixlab.model.strategies.scripts import Script, python_scripts

from conftest import TESTS, require_oracle

PROGRAM = TESTS / "data" / "nixpkgs_wrap_python.bash"
EXECUTABLE = "/nix/store/00000000000000000000000000000000-python3-3.12.8/bin/python3.12"
SITEDIRS = ("/nix/store/aaaa-foo-1.0/lib/python3.12/site-packages",
            "/nix/store/bbbb-dep-2.0/lib/python3.12/site-packages")


def gnu_sed() -> bool:
    sed, bash = shutil.which("sed"), shutil.which("bash")
    if sed is None or bash is None:
        return False
    done = subprocess.run([sed, "--version"], capture_output=True, text=True)
    return done.returncode == 0 and "GNU sed" in done.stdout


@pytest.fixture(scope="module")
def scratch() -> Path:
    require_oracle(gnu_sed(), "GNU sed and bash are needed to run nixpkgs' sed program")
    with tempfile.TemporaryDirectory(prefix="prefixlab-sed-") as where:
        yield Path(os.path.realpath(where))


def run_nixpkgs(path: Path, text: bytes, sitedirs: tuple[str, ...]) -> tuple[bool, bytes]:
    path.write_bytes(text)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "f": str(path),
           "executable": EXECUTABLE, "program_PYTHONPATH": ":".join(sitedirs)}
    done = subprocess.run(["bash", "-c", f'source "{PROGRAM}"; nixpkgs_patch'], env=env,
                          capture_output=True, check=True)
    return done.stdout.strip() == b"patched", path.read_bytes()


def check(scratch: Path, text: bytes, sitedirs: tuple[str, ...] = SITEDIRS) -> None:
    path = scratch / "foo"
    patched, real = run_nixpkgs(path, text, sitedirs)
    model = wrap_python_programs(text, NixWrap(EXECUTABLE, str(path), sitedirs))
    assert (model is not None) == patched, f"sed gave {real!r}"
    assert (model.text if model is not None else text) == real


@given(script=python_scripts(), sitedirs=st.sampled_from([SITEDIRS, (), SITEDIRS[:1]]))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Known shapes that wrap-python.nix's magicalSedExpression mishandles: pretalx's manage.py
# (#302315), a backslash-continued import, an upper-case R""" docstring, #40427's
# parenthesized import.
@example(Script(b"#!", b"/usr/bin/env python", b"", b"\n", b"import os\nimport sys\n"), SITEDIRS)
@example(Script(b"#!", b"/usr/bin/python3", b"", b"\n", b"import os, \\\n    sys\n"), SITEDIRS)
@example(Script(b"#!", b"/usr/bin/python3", b"", b"\n", b'R"""doc\n"""\nimport os\n'), SITEDIRS)
@example(Script(b"#!", b"/usr/bin/python3", b"", b"\n",
                b"from __future__ import (\n    a, b\n)\n"), SITEDIRS)
@example(Script(b"#!", b"/usr/bin/env python3", b"", b"\r\n", b"\r\nimport os\r\n"), ())
def test_model_matches_gnu_sed(scratch: Path, script: Script, sitedirs: tuple[str, ...]
                               ) -> None:
    check(scratch, script.text, sitedirs)


@pytest.mark.parametrize("text", [
    b"", b"#!/usr/bin/python3", b"#!/usr/bin/python3\n", b"import x # /python\nimport y\n",
    b"#!/usr/bin/python3 ,\nimport os\n", b"#!/usr/bin/python3\n'''a\n''' + x\nimport os",
    b"#!/usr/bin/python3\n'a\\'\nb'\nimport os\n", b"#!/usr/bin/python3\n\"\"\n\"x\"\nimport os\n",
    b"#!/bin/sh\n'''exec' '/x/python' \"$0\" \"$@\"\n' '''\n",
    b"#!/usr/bin/env -S python3 -u\nimport os\n", b"#! /usr/bin/env\tpython3\t-u\nimport os\n",
    b"#!/a/env python /b/env pypy3x y\nimport os\n",
    b"#!/usr/bin/python3\nimport os, \\\n", b"#!/usr/bin/python3\n\"\"\"open\nstill\n",
    b"#! /usr/bin/env python3\nimport os\n", b"#!/usr/bin/env python3\r\nimport os\r\n",
    b"#!/usr/bin/python3\r\n\r\nimport os\r\n",
])
def test_edge_cases_match_gnu_sed(scratch: Path, text: bytes) -> None:
    check(scratch, text)
