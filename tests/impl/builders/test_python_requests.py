"""--python version requests in `prefixlab build env` and conform's bases: the interpreter
chosen is the highest patch of that minor found here, as the built environment's python
and the chosen binary report it themselves; a request that matches nothing is one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import in_scope_interpreters, require_oracle
from prefixlab.impl.conform import bases as basing

INTERPRETERS = in_scope_interpreters()
PROGRAM = str(Path(sys.executable).with_name("prefixlab"))
VERSION = "import sys; print('%d.%d.%d' % sys.version_info[:3])"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return {**env, "XDG_CACHE_HOME": str(tmp_path / "cache")}


def _highest(minor: int) -> str:
    versions = [i.version for i in INTERPRETERS if i.version and i.version[1] == minor]
    return "%d.%d.%d" % max(v for v in versions if v is not None)


def _reported(python: str | Path) -> str:
    return subprocess.run([str(python), "-I", "-c", VERSION], capture_output=True, text=True,
                          check=True, env={}, timeout=60).stdout.strip()


@pytest.mark.real
def test_build_env_takes_a_version_request(tmp_path: Path) -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    minor = max(i.version[1] for i in INTERPRETERS if i.version)
    package = tmp_path / "pkg"
    (package / "lib").mkdir(parents=True)
    done = subprocess.run([PROGRAM, "build", "env", "e", "--python", f"3.{minor}",
                           "--package", str(package)], capture_output=True, text=True,
                          cwd=tmp_path, env=_env(tmp_path), timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"Using CPython {_highest(minor)} at ")
    assert _reported(tmp_path / "e" / "bin" / "python") == _highest(minor)
    unmatched = subprocess.run([PROGRAM, "build", "env", "f", "--python", "3.99",
                                "--package", str(package)], capture_output=True, text=True,
                               cwd=tmp_path, env=_env(tmp_path), timeout=300)
    assert unmatched.returncode == 2 and unmatched.stderr.count("\n") == 1
    assert not (tmp_path / "f").exists()


@pytest.mark.real
def test_conform_bases_take_version_requests() -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    heard: list[str] = []
    for minor in sorted({i.version[1] for i in INTERPRETERS if i.version}):
        chosen = basing.bases([f"3.{minor}"], heard.append)
        assert len(chosen) == 1
        assert _reported(chosen[0].executable) == _highest(minor)
    assert len(heard) == len({i.version[1] for i in INTERPRETERS if i.version})
    assert all(line.startswith("Using CPython 3.") for line in heard)
    with pytest.raises(basing.BaseError, match="3.99"):
        basing.bases(["3.99"])


@pytest.mark.real
def test_conform_bases_take_a_name_on_path_as_the_interpreter_it_runs() -> None:
    """python3 on PATH may be a pyenv shim: the base is the binary it runs, as it reports."""
    import shutil

    require_oracle(shutil.which("python3") is not None, "no python3 on PATH")
    reported = subprocess.run(["python3", "-c", "import os, sys; "
                               "print(os.path.realpath(sys.executable))"],
                              capture_output=True, text=True, timeout=60)
    known = {i.real_path for i in INTERPRETERS}
    real = reported.stdout.strip()
    require_oracle(reported.returncode == 0 and real in known,
                   "python3 on PATH is not an in-scope interpreter found here")
    assert [b.executable for b in basing.bases(["python3"])] == [real]
