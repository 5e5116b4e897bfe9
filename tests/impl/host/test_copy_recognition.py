"""A copy of a known interpreter binary whose libpython the dynamic loader cannot find from
where it lies (``python -m venv --copies`` of a build with RUNPATH ``$ORIGIN/../lib``) is
recognised by its own bytes, without being run; and the loader's search reads ld.so.cache
as ``ldconfig -p`` lists it.  The loader's own answers (ldd, ldconfig) are the oracles."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import in_scope_interpreters, require_oracle
from support.relocatable import origin_python

from prefixlab.impl.host import identity
from prefixlab.impl.host import interpreters as mod
from prefixlab.impl.host.interpreters import InterpreterError, discover, learn_constants
from prefixlab.model.world.build import BuildConstants

INTERPRETERS = list(in_scope_interpreters())


@pytest.fixture(name="built")
def _built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A $ORIGIN build of the newest shared pyenv interpreter, with an empty cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pyenv = [i for i in INTERPRETERS if i.source == "pyenv" and i.constants is not None
             and i.constants.shared]
    made = None
    if pyenv and pyenv[-1].constants is not None:
        version = pyenv[-1].constants.version
        made = origin_python(pyenv[-1].constants.prefix, "%d.%d" % version[:2],
                             tmp_path / "build")
    require_oracle(made is not None, "a C compiler and a pyenv interpreter's headers")
    assert made is not None
    return made


def _ldd(binary: Path) -> dict[str, str]:
    require_oracle(shutil.which("ldd") is not None, "ldd")
    done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, env={},
                          timeout=60)
    return dict(re.findall(r"^\s*(\S+) => (.+?)(?: \(0x[0-9a-f]+\))?$", done.stdout, re.M))


def _runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The binaries run to learn their constants from here on."""
    ran: list[str] = []
    real = mod._run_learner

    def counting(binary: str, real_path: str) -> dict[str, object]:
        ran.append(binary)
        return real(binary, real_path)

    monkeypatch.setattr(mod, "_run_learner", counting)
    return ran


def _lone_copy(binary: Path, where: Path) -> Path:
    """The binary alone, copied to where/bin (no where/lib: $ORIGIN/../lib holds nothing),
    as venv --copies makes it; not executable, so that running it could not succeed."""
    (where / "bin").mkdir(parents=True)
    copy = where / "bin" / "python"
    shutil.copyfile(binary, copy)
    copy.chmod(0o644)
    return copy


@pytest.mark.real
def test_a_copy_without_its_library_is_recognised_without_running(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = learn_constants(str(built))
    ran = _runs(monkeypatch)
    copy = _lone_copy(built, tmp_path / "env")
    copy.chmod(0o755)
    name = next((tmp_path / "build" / "lib").glob("libpython*.so.1.0")).name
    if _ldd(copy).get(name, "not found") != "not found":
        pytest.skip(f"the loader finds {name} in a system directory")
    copy.chmod(0o644)
    found = identity.identify(str(copy))
    assert found.missing == (name,) and found.libraries == ()
    assert found.binary == identity.identify(str(built)).binary  # the same bytes
    assert found.digest != identity.identify(str(built)).digest  # without the library
    placed = learn_constants(str(copy))
    assert ran == []
    assert placed == dataclasses.replace(original, library=None, missing_library=name)
    assert not placed.prefix.startswith(str(tmp_path / "env"))  # configure's PREFIX


@pytest.mark.real
def test_an_unknown_copy_is_run_and_fails_in_one_line(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing learned has these bytes: the learner runs it, as before, and the loader's
    refusal is the one-line reason."""
    ran = _runs(monkeypatch)
    copy = _lone_copy(built, tmp_path / "env")
    copy.chmod(0o755)
    name = next((tmp_path / "build" / "lib").glob("libpython*.so.1.0")).name
    if _ldd(copy).get(name, "not found") != "not found":
        pytest.skip(f"the loader finds {name} in a system directory")
    with pytest.raises(InterpreterError, match="error while loading shared libraries") as error:
        learn_constants(str(copy))
    assert ran == [str(copy)] and "\n" not in str(error.value)


@pytest.mark.real
def test_the_copy_is_listed_as_unusable(built: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """On PATH (an activated venv), the copy is not offered as an interpreter."""
    learn_constants(str(built))
    copy = _lone_copy(built, tmp_path / "env")
    copy.chmod(0o755)
    (tmp_path / "env" / "bin" / "python3").symlink_to("python")
    if _ldd(copy).get(next((tmp_path / "build" / "lib").glob("libpython*")).name,
                      "not found") != "not found":
        pytest.skip("the loader finds the library in a system directory")
    ran = _runs(monkeypatch)
    env = {"PATH": str(tmp_path / "env" / "bin"), "HOME": str(tmp_path),
           "PYENV_ROOT": str(tmp_path / "none")}
    [listed] = [i for i in discover(env) if i.real_path == str(copy)]
    assert not listed.in_scope and listed.constants is None
    assert "cannot start" in listed.reason and "\n" not in listed.reason
    assert str(copy) not in ran


@pytest.mark.real
def test_two_builds_with_one_binary_are_not_guessed_between(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same binary learned beside two different libpythons of one name: a copy
    without its library cannot tell which it was built as, and says so."""
    learn_constants(str(built))
    library = next((tmp_path / "build" / "lib").glob("libpython*.so.1.0"))
    other = tmp_path / "other"
    shutil.copytree(tmp_path / "build", other, symlinks=True)
    with open(other / "lib" / library.name, "ab") as handle:
        handle.write(b"\0")  # nothing locates a byte past the end: it loads the same
    second = other / "bin" / built.name
    copy = _lone_copy(built, tmp_path / "env")
    with monkeypatch.context() as patch:
        # Two installed builds sharing one binary but not their PREFIX are rare here: the
        # second one's reading is given another PREFIX, as such a build would report.
        patch.setattr(mod, "_constants_from", _pretend_prefix(str(other)))
        learned = learn_constants(str(second))
    assert learned.prefix == str(other)
    with pytest.raises(InterpreterError, match="several known builds") as error:
        learn_constants(str(copy))
    assert "\n" not in str(error.value) and str(other) in str(error.value)


def _pretend_prefix(root: str) -> Callable[[str, dict[str, Any]], BuildConstants]:
    real = mod._constants_from

    def reading(binary: str, facts: dict[str, Any]) -> BuildConstants:
        constants = real(binary, facts)
        return dataclasses.replace(constants, prefix=root, exec_prefix=root)

    return reading


@pytest.mark.real
def test_two_builds_that_agree_are_one(built: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The same binary learned beside two copies of its libpython (a relocated tree, one
    of its library's bytes past the end added): the copy is either's, recognised."""
    original = learn_constants(str(built))
    library = next((tmp_path / "build" / "lib").glob("libpython*.so.1.0"))
    other = tmp_path / "other"
    shutil.copytree(tmp_path / "build", other, symlinks=True)
    with open(other / "lib" / library.name, "ab") as handle:
        handle.write(b"\0")
    assert learn_constants(str(other / "bin" / built.name)).prefix == original.prefix
    ran = _runs(monkeypatch)
    copy = _lone_copy(built, tmp_path / "env")
    assert learn_constants(str(copy)).missing_library == library.name
    assert ran == []


def test_ld_so_cache_as_ldconfig_lists_it() -> None:
    ldconfig = shutil.which("ldconfig") or ("/sbin/ldconfig" if os.path.exists(
        "/sbin/ldconfig") else None)
    require_oracle(ldconfig is not None and os.path.isfile(identity.LD_SO_CACHE),
                   "ldconfig and /etc/ld.so.cache")
    assert ldconfig is not None
    done = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=60)
    listed = re.findall(r"^\s+(\S+) \(([^)]*)\) => (\S+)$", done.stdout, re.M)
    sixty_four = [(name, path) for name, flags, path in listed if "64" in flags]
    require_oracle(bool(sixty_four), "64-bit entries in ld.so.cache")
    for name, path in sixty_four:
        assert path in identity.cache_lookup(name), name
    assert identity.cache_lookup("libprefixlab-nowhere.so.0") == []


def test_no_cache_file_is_no_entry(tmp_path: Path) -> None:
    assert identity.cache_lookup("libc.so.6", str(tmp_path / "absent")) == []
    (tmp_path / "old").write_bytes(b"ld.so-1.7.0" + bytes(64))  # the old format: not read
    assert identity.cache_lookup("libc.so.6", str(tmp_path / "old")) == []
