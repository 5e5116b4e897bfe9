"""An environment case's reproducer (impl/conform/envrepro.py) writes, with /bin/sh and
coreutils, the same package trees the check writes (impl/checks/spec.py write_packages):
every file's bytes and mode, every link's target, every directory; a makeBinaryWrapper is
compiled by cc and runs.  Drawn package sets (Hypothesis), so names, texts and wrapper
flags with quotes, spaces and non-ASCII letters are covered."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from prefixlab.impl.checks.spec import write_packages
from prefixlab.impl.conform import bases as basing
from prefixlab.impl.conform import envrepro
from prefixlab.impl.conform.envcase import EnvCase
from prefixlab.model.conform.case import Builder
from prefixlab.model.strategies import packages as drawn

pytestmark = pytest.mark.real

BASES = [b for b in basing.bases() if b.version >= (3, 11)]
WRITE_ONLY = Builder("cmd", "mkdir {target} # {python} {packages}", "env")
"""A builder that makes an empty ENV: the script's package part is what is compared."""


def tree(top: Path) -> dict[str, tuple[str, object]]:
    out: dict[str, tuple[str, object]] = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = Path(folder) / name
            rel = str(path.relative_to(top))
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                out[rel] = ("file", (stat.S_IMODE(st.st_mode), path.read_bytes()))
    return out


@pytest.mark.skipif(not BASES, reason="needs an in-scope CPython 3.11+ on this machine")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn.package_sets((3, 12)))
def test_the_script_writes_the_trees_the_check_writes(packages: drawn.PackageSet) -> None:
    base = BASES[-1]
    case = EnvCase(WRITE_ONLY, base, packages)
    with tempfile.TemporaryDirectory() as scratch:
        ours = Path(scratch) / "ours"
        ours.mkdir()
        bound = write_packages(packages, str(ours / "pkgs"), base.executable)
        script = Path(scratch) / "repro.sh"
        script.write_text(envrepro.script(case, ()), encoding="utf-8",
                          errors="surrogateescape")
        done = subprocess.run(["sh", str(script)], capture_output=True, timeout=120,
                              env={"PATH": "/usr/bin:/bin", "TMPDIR": scratch})
        out = done.stdout.decode("utf-8", "surrogateescape")
        assert done.returncode == 0 and "builder status: 0" in out, (out, done.stderr)
        root = Path(out.split("case directory: ", 1)[1].split("\n", 1)[0])
        theirs = tree(root / "pkgs")
        mine = tree(ours / "pkgs")
        binaries = {str(Path(w.path).relative_to(ours / "pkgs")) for w in bound.wrappers
                    if w.binary}
        for rel in binaries:  # compiled here and by the check: bytes differ, both run
            assert theirs.pop(rel)[0] == "file" and mine.pop(rel)[0] == "file"
        expected = {rel: (kind, _rooted(value, ours, root)) for rel, (kind, value)
                    in mine.items()}
        assert theirs == expected
        shutil.rmtree(root)


def _rooted(value: object, ours: Path, root: Path) -> object:
    """The check's tree names its own scratch where the script's names ROOT."""
    if isinstance(value, str):
        return value.replace(str(ours), str(root))
    if isinstance(value, tuple) and isinstance(value[1], bytes):
        return (value[0], value[1].replace(str(ours).encode(), str(root).encode()))
    return value
