"""pyenv shims: the model's version selection against the real pyenv, run on a fake
PYENV_ROOT whose versions hold a stub that reports how it was started."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from conftest import require_oracle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.stubs import Seen, build_stub, run

from prefixlab.impl.builders import cwrapper
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.exec import chain
from prefixlab.model.exec import pyenv
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.invocation import Invocation

FAKE = BuildConstants((3, 12, 0), "/usr", "/usr")
REAL_ROOT = os.path.expanduser("~/.pyenv")
VERSIONS = ("3.98.0", "3.99.1", "3.99.10", "3.99.2rc1", "3.100.0", "2.7.0")


def _real_shim() -> str | None:
    try:
        with open(f"{REAL_ROOT}/shims/python3", encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


@pytest.fixture(scope="module")
def fake_root() -> Iterator[str]:
    shim = _real_shim()
    require_oracle(shim is not None and pyenv.read_shim(shim) is not None,
                   "no pyenv shim here (~/.pyenv/shims/python3)")
    require_oracle(cwrapper.compiler() is not None, "no C compiler here (for the stub)")
    assert shim is not None
    base = tempfile.mkdtemp(prefix="prefixlab-pyenv-")
    root = f"{base}/root"
    build_stub(f"{base}/stub")
    for version in VERSIONS:
        os.makedirs(f"{root}/versions/{version}/bin")
        os.symlink(f"{base}/stub", f"{root}/versions/{version}/bin/python3")
    os.symlink(f"{base}/stub", f"{root}/versions/3.99.1/bin/python3.99")
    os.makedirs(f"{root}/shims")
    real = pyenv.read_shim(shim)
    assert real is not None
    for name in ("python3", "python3.99", "python3.42"):
        with open(f"{root}/shims/{name}", "w", encoding="utf-8") as handle:
            handle.write(shim.replace(f'PYENV_ROOT="{real.root}"', f'PYENV_ROOT="{root}"')
                         .replace(f'"{real.root}/shims"', f'"{root}/shims"'))
        os.chmod(f"{root}/shims/{name}", 0o755)
    os.makedirs(f"{base}/proj/sub")
    yield base
    shutil.rmtree(base)


CASES = [
    # (PYENV_VERSION or None, global version file, .python-version in proj, program)
    ("3.99.1", "", None, "python3"),
    ("3.99", "", None, "python3"),          # a prefix: the newest 3.99.x that is not a rc
    ("python-3.98.0", "", None, "python3"),
    ("3.98.0:3.99.1", "", None, "python3.99"),  # the first version with the command
    (None, "3.98.0\n", None, "python3"),
    (None, "# comment\n\n3.100.0 trailing words\n", None, "python3"),
    (None, "3.98.0\n", "3.99.1\r\n", "python3"),  # the project's file wins, CRLF
    (None, "", "3.99\n", "python3"),
    ("2.7.0", "", None, "python3.99"),       # not in 2.7.0: system has no python3.99 either
    ("3.99.1", "", None, "python3.42"),
    ("9.9", "", None, "python3.42"),          # not installed: falls through to system
    (None, "../versions/3.98.0\n3.99.1\n", None, "python3"),  # a path inside versions/
    (None, "../../proj\n3.99.1\n", None, "python3"),  # outside: ignored (CVE-2022-35861)
    (None, "\n  \t3.98.0  \n", None, "python3"),  # blanks around the name
    (None, "3.99.1\n", "# a comment only\n\n", "python3.99"),  # a local file naming no
    # version selects system (it does not fall back to the global file)
]


@pytest.mark.parametrize("selected,global_file,local_file,program", CASES)
def test_pyenv_selection_matches_pyenv(fake_root: str, selected: str | None, global_file: str,
                                       local_file: str | None, program: str) -> None:
    root = f"{fake_root}/root"
    with open(f"{root}/version", "w", encoding="utf-8") as handle:
        handle.write(global_file)
    local = f"{fake_root}/proj/.python-version"
    if local_file is None:
        if os.path.exists(local):
            os.remove(local)
    else:
        with open(local, "w", encoding="utf-8") as handle:
            handle.write(local_file)
    env = {"PATH": f"{root}/shims:/usr/bin:/bin", "HOME": "/nonexistent"}
    if selected is not None:
        env["PYENV_VERSION"] = selected
    cwd = f"{fake_root}/proj/sub"
    shim = f"{root}/shims/{program}"
    model = chain.follow(Snapshot("/"), Invocation(program, (program, "-x"),
                             tuple(env.items()), cwd), cwd, {f"{fake_root}/stub": FAKE}, [])
    real = run(shim, [program, "-x"], env, cwd)
    if isinstance(real, str):
        assert isinstance(model, chain.Stopped) and model.status == "exec-failed", \
            (model, real)
        assert re.search(r"command not found", real), real
        return
    assert isinstance(real, Seen) and isinstance(model, chain.Arrived), (model, real)
    assert model.invocation.argv == real.argv
    assert model.cwd == real.cwd
    assert model.invocation.environ == real.env
    assert model.warnings == real.stderr  # pyenv's "invalid version ... ignored" lines


NAMES = st.sampled_from(["3.99.1", "3.99", "3.98", "python-3.98.0", "system", "9.9", "3",
                         "3.100", "2.7.0", "3.99.2rc1", "3.99.2"])
FILES = st.lists(NAMES | st.sampled_from(["# c", "", "  3.98.0 x"]), max_size=3).map(
    "\n".join)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(selected=st.none() | st.lists(NAMES, min_size=1, max_size=2).map(":".join),
       global_file=FILES, local_file=st.none() | FILES,
       program=st.sampled_from(["python3", "python3.99", "python3.42"]))
def test_pyenv_selection_property(fake_root: str, selected: str | None, global_file: str,
                                  local_file: str | None, program: str) -> None:
    root = f"{fake_root}/root"
    _write(f"{root}/version", global_file)
    _write(f"{fake_root}/proj/.python-version", local_file)
    env = {"PATH": f"{root}/shims:/usr/bin:/bin", "HOME": "/nonexistent"}
    if selected is not None:
        env["PYENV_VERSION"] = selected
    cwd = f"{fake_root}/proj/sub"
    model = chain.follow(Snapshot("/"), Invocation(program, (program, "-c", ""),
                             tuple(env.items()), cwd), cwd, {f"{fake_root}/stub": FAKE}, [])
    real = run(f"{root}/shims/{program}", [program, "-c", ""], env, cwd)
    if isinstance(model, chain.Arrived):
        assert isinstance(real, Seen), real
        assert (model.invocation.argv, model.invocation.environ) == (real.argv, real.env)
        assert model.warnings == real.stderr
    elif model.kind == "not-an-interpreter":  # the system's own python3
        assert isinstance(real, str) and "command not found" not in real, (model, real)
    else:
        assert isinstance(real, str) and "command not found" in real, (model, real)


def _write(path: str, text: str | None) -> None:
    if text is None:
        if os.path.exists(path):
            os.remove(path)
        return
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
