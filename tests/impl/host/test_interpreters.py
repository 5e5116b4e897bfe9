"""Discovery and build constants, against facts read independently of the code under test:
the pyenv directory names on disk, `python -V`, each build's own config Makefile, the
dynamic loader (ldd) and the Debian package database (dpkg)."""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import expected_interpreters, oracles_required, require_oracle
from support.relocatable import origin_python

from prefixlab.impl.host import identity
from prefixlab.impl.host import interpreters as mod
from prefixlab.impl.host.interpreters import (
    Interpreter,
    InterpreterError,
    cache_dir,
    discover,
    host_world,
    learn_constants,
)
from prefixlab.impl.host.snapshot import Snapshot

PYENV_ROOT = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
VERSION_DIR = re.compile(r"(\d+)\.(\d+)\.(\d+)$")


@pytest.fixture(scope="module")
def found() -> list[Interpreter]:
    return discover()


def _pyenv_versions() -> dict[str, tuple[int, int, int]]:
    """pyenv's version directories that hold a CPython binary, by directory, from the names on
    disk (independent of discover)."""
    versions = {}
    for directory in glob.glob(f"{glob.escape(PYENV_ROOT)}/versions/*"):
        match = VERSION_DIR.match(os.path.basename(directory))
        if match and glob.glob(f"{directory}/bin/python[23]*"):
            versions[directory] = (int(match[1]), int(match[2]), int(match[3]))
    return versions


def _reported_version(binary: str) -> tuple[int, int, int]:
    """What `python -V` says (2.7 writes it to stderr)."""
    done = subprocess.run([binary, "-V"], capture_output=True, text=True, env={}, timeout=30)
    match = re.search(r"Python (\d+)\.(\d+)\.(\d+)", done.stdout + done.stderr)
    assert match, f"{binary} -V: {done.stdout!r} {done.stderr!r}"
    return (int(match[1]), int(match[2]), int(match[3]))


# -- discovery --------------------------------------------------------------------------------
def test_every_pyenv_version_dir_is_found(found: list[Interpreter]) -> None:
    versions = _pyenv_versions()
    require_oracle(bool(versions), f"no pyenv versions under {PYENV_ROOT}")
    for directory, version in versions.items():
        mine = [i for i in found if i.real_path.startswith(directory + "/bin/")]
        assert len(mine) == 1, f"{directory}: {mine}"
        interp = mine[0]
        assert interp.version == version and interp.source == "pyenv"
        if version >= (3, 8, 0):
            assert interp.in_scope and interp.reason == "" and interp.constants is not None
        else:
            assert not interp.in_scope and interp.constants is None
            assert "older than 3.8" in interp.reason and "\n" not in interp.reason


def test_old_versions_are_listed_out_of_scope(found: list[Interpreter]) -> None:
    old = [v for v in _pyenv_versions().values() if v < (3, 8, 0)]
    if not old:
        pytest.skip("no pre-3.8 pyenv version here")
    listed = {i.version for i in found if not i.in_scope}
    assert set(old) <= listed


def test_real_paths_are_unique_and_sorted(found: list[Interpreter]) -> None:
    reals = [i.real_path for i in found]
    assert len(reals) == len(set(reals))
    assert all(i.real_path == os.path.realpath(i.path) for i in found)
    versions = [i.version for i in found if i.version is not None]
    assert versions == sorted(versions)


def test_system_python3_link_is_deduplicated(found: list[Interpreter]) -> None:
    link = "/usr/bin/python3"
    if not os.path.islink(link):
        pytest.skip(f"{link} is not a symbolic link here")
    target = os.path.realpath(link)
    same = [i for i in found if i.real_path == target]
    assert len(same) == 1
    assert same[0].path != link  # listed under its own name (python3.X), not the alias
    assert same[0].version == _reported_version(target)


def test_shims_are_not_interpreters(found: list[Interpreter]) -> None:
    assert not any("/shims/" in i.path for i in found)
    for interp in found:
        with open(interp.real_path, "rb") as handle:
            assert handle.read(2) != b"#!", interp.path


def test_script_on_path_is_skipped(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    script = fake / "python3"
    script.write_text("#!/bin/sh\nexec /usr/bin/env python3 \"$@\"\n")
    script.chmod(0o755)
    env = {"PATH": str(fake), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "none")}
    assert not any(i.path == str(script) for i in discover(env))


def test_expected_number_of_interpreters(interpreters: list[Interpreter]) -> None:
    """The conftest fixture fails under PREFIXLAB_REQUIRE_ORACLES when CI counted more."""
    expected = expected_interpreters()
    if expected is not None and oracles_required():
        assert len(interpreters) >= expected
    assert all(i.in_scope and i.constants is not None for i in interpreters)


def test_bad_entries_in_prefixlab_pythons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          interpreters: list[Interpreter]) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    plain = tmp_path / "plain"
    plain.write_text("not a program\n")
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    silent = tmp_path / "silent"
    shutil.copy2(shutil.which("true") or "/bin/true", silent)
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    good = interpreters[0]
    entries = {
        "/nonexistent/python3.99": "does not exist",
        str(plain): "not executable",
        str(script): "script",
        str(silent): "did not report its build constants",
        str(loop): "symbolic link",
        good.path: "",
    }
    env = {"PREFIXLAB_PYTHONS": os.pathsep.join(["", *entries]), "PATH": "",
           "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "none")}
    listed = {i.path: i for i in discover(env)}
    for entry, reason in entries.items():
        if entry == good.path and good.source != "PREFIXLAB_PYTHONS":
            assert listed[entry].in_scope  # found elsewhere first (deduplicated)
            continue
        interp = listed[entry]
        assert interp.source == "PREFIXLAB_PYTHONS"
        assert reason in interp.reason and "\n" not in interp.reason, interp
        assert not interp.in_scope and interp.constants is None and interp.version is None


# -- build constants --------------------------------------------------------------------------
def _makefile(real_path: str, version: tuple[int, int, int]) -> dict[str, str]:
    """The build's own config Makefile variables (lib/pythonX.Y/config-X.Y*/Makefile beside
    the binary's bin/), ${var} references expanded."""
    root = os.path.dirname(os.path.dirname(real_path))
    short = "%d.%d" % version[:2]
    found = glob.glob(f"{glob.escape(root)}/lib*/python{short}*/config-{short}*/Makefile")
    require_oracle(bool(found), f"{real_path}: no config Makefile under {root}")
    values: dict[str, str] = {}
    for line in Path(found[0]).read_text(errors="replace").splitlines():
        match = re.match(r"([A-Za-z_]+)=\s*(.*?)\s*$", line)
        if match and match[1] not in values:
            values[match[1]] = match[2]
    for name, value in values.items():
        values[name] = re.sub(r"\$[({](\w+)[)}]", lambda m: values.get(m[1], ""), value)
    return values


def test_constants_match_the_build_makefile(interpreters: list[Interpreter]) -> None:
    for interp in interpreters:
        constants = learn_constants(interp.path)
        version = _reported_version(interp.real_path)
        make = _makefile(interp.real_path, version)
        assert constants.version == version
        assert constants.prefix == make["prefix"], interp.path
        assert constants.exec_prefix == make["exec_prefix"], interp.path
        assert constants.platlibdir == (make.get("PLATLIBDIR") or "lib")
        assert constants.vpath == make.get("VPATH", "")
        assert constants.abi_thread == make.get("ABI_THREAD", "")
        if interp.source == "pyenv":  # pyenv installs each version at versions/<version>
            assert constants.prefix == os.path.dirname(os.path.dirname(interp.real_path))
            assert os.path.basename(constants.prefix) == "%d.%d.%d" % version


@pytest.mark.skipif(shutil.which("ldd") is None, reason="no ldd here")
def test_shared_library_as_the_loader_sees_it(interpreters: list[Interpreter]) -> None:
    for interp in interpreters:
        constants = learn_constants(interp.path)
        done = subprocess.run(["ldd", interp.real_path], capture_output=True, text=True)
        linked = re.search(r"(libpython\S+) => (\S+)", done.stdout)
        assert constants.shared == bool(linked), interp.path
        if linked:
            assert constants.library is not None
            assert os.path.basename(constants.library) == linked[1]
            assert os.path.realpath(constants.library) == os.path.realpath(linked[2])
        else:
            assert constants.library is None


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="not a Debian system")
def test_debian_flavour_is_the_packaged_one(interpreters: list[Interpreter]) -> None:
    for interp in interpreters:
        packaged = subprocess.run(["dpkg", "-S", interp.real_path], capture_output=True,
                                  env={"PATH": "/usr/bin:/bin"}).returncode == 0
        assert (learn_constants(interp.path).flavour == "debian") == packaged, interp.path


# -- the cache --------------------------------------------------------------------------------
def test_cache_dir_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == str(tmp_path / "prefixlab")


def _cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "prefixlab" / "constants").glob("*"))


def _not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, running an interpreter to learn its constants fails the test."""
    def refuse(binary: str, real_path: str) -> None:
        raise AssertionError(f"{binary} was run")

    monkeypatch.setattr(mod, "_run_learner", refuse)


def test_cache_miss_hit_and_bypass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   interpreters: list[Interpreter]) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    binary = interpreters[0].path
    learned = learn_constants(binary)  # miss: runs it, writes the file
    files = _cache_files(tmp_path)
    assert [f.suffix for f in files] == [".json"]
    data = json.loads(files[0].read_text())
    assert data["constants"]["prefix"] == learned.prefix
    with monkeypatch.context() as patch:
        _not_run(patch)
        assert learn_constants(binary) == learned  # hit: not run again
    data["constants"]["prefix"] = "/from/the/cache"
    files[0].write_text(json.dumps(data))
    assert learn_constants(binary) == learned  # edited: its check fails, learned again
    assert learn_constants(binary, use_cache=False) == learned  # bypass: run, rewritten
    assert json.loads(files[0].read_text())["constants"]["prefix"] == learned.prefix
    files[0].write_text("{ not json")
    assert learn_constants(binary) == learned  # unreadable cache: learned again
    data = json.loads(files[0].read_text())
    data["learner"] = "an older prefixlab"
    data["check"] = mod._check(data)
    files[0].write_text(json.dumps(data))
    assert learn_constants(binary) == learned  # learned by other code: learned again
    assert _cache_files(tmp_path) == files  # no temporary files left behind


def test_the_identity_entry_is_checked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           interpreters: list[Interpreter]) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    binary = interpreters[-1].path
    learned = learn_constants(binary)
    [index] = (tmp_path / "prefixlab" / "identity").glob("*.json")
    data = json.loads(index.read_text())
    data["digest"] = "0" * 64  # names another entry: not trusted, digested again
    index.write_text(json.dumps(data))
    _not_run(monkeypatch)
    assert learn_constants(binary) == learned
    assert json.loads(index.read_text())["digest"] != "0" * 64


def test_cache_key_follows_the_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      interpreters: list[Interpreter]) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    copy = tmp_path / "python"
    shutil.copy2(interpreters[0].real_path, copy)
    first = learn_constants(str(copy))
    _not_run(monkeypatch)
    os.utime(copy, ns=(1, 1))  # touched, same content: digested again, not run
    assert learn_constants(str(copy)) == first
    assert len(_cache_files(tmp_path / "cache")) == 1


def test_a_copy_of_a_known_interpreter_is_recognised(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     interpreters: list[Interpreter]) -> None:
    """Same content elsewhere: the constants are the build's (configure's PREFIX, not the
    binary's place), reused without running the copy."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for interp in interpreters:
        learn_constants(interp.path)
    _not_run(monkeypatch)
    for i, interp in enumerate(interpreters):
        copy = tmp_path / f"copy{i}" / "bin" / os.path.basename(interp.real_path)
        copy.parent.mkdir(parents=True)
        shutil.copy(interp.real_path, copy)
        assert learn_constants(str(copy)) == learn_constants(interp.path)


def test_binary_rewritten_in_place_is_learned_again(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     interpreters: list[Interpreter]) -> None:
    """Same path, inode, size and mtime, other content (pyenv's 3.12.1 and 3.13.0 binaries
    are both 17,600 bytes): only the ctime tells, and the content digest decides."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pyenv = [i for i in reversed(interpreters) if i.source == "pyenv" and i.version]
    pairs = [(old, new) for old in pyenv for new in pyenv
             if old.version < new.version  # type: ignore[operator]
             and os.path.getsize(old.real_path) == os.path.getsize(new.real_path)]
    require_oracle(bool(pairs), "two pyenv interpreters with binaries of equal size")
    old, new = pairs[0]
    copy = tmp_path / "python"
    shutil.copy2(old.real_path, copy)
    assert learn_constants(str(copy)).version == old.version
    before = os.stat(copy)
    with open(copy, "r+b") as handle:
        handle.write(Path(new.real_path).read_bytes())
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert learn_constants(str(copy)).version == new.version


def _relocatable(interpreters: list[Interpreter], root: Path) -> Path:
    """An interpreter that finds its libpython through $ORIGIN (tests/support)."""
    pyenv = [i for i in interpreters if i.source == "pyenv" and i.constants is not None]
    built = None
    if pyenv and pyenv[-1].constants is not None:
        version = pyenv[-1].constants.version
        built = origin_python(pyenv[-1].constants.prefix, "%d.%d" % version[:2], root)
    require_oracle(built is not None, "a C compiler and a pyenv interpreter's headers")
    assert built is not None
    return built


def _rewrite_in_place(path: Path, data: bytes) -> None:
    """New content, same inode, size and mtime: only the ctime tells."""
    before = os.stat(path)
    assert len(data) == before.st_size
    with open(path, "r+b") as handle:
        handle.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_libpython_rewritten_in_place_is_digested_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        interpreters: list[Interpreter]) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    binary = _relocatable(interpreters, tmp_path / "py")
    learned = learn_constants(str(binary))
    [library] = (tmp_path / "py" / "lib").glob("libpython*.so.1.0")
    digests: list[str] = []
    def counting(real_path: str) -> identity.Identity:
        found = identity.identify(real_path)
        digests.append(found.digest)
        return found

    monkeypatch.setattr(mod, "identify", counting)
    _not_run(monkeypatch)
    assert learn_constants(str(binary)) == learned and digests == []  # cheap key: same
    data = library.read_bytes()
    _rewrite_in_place(library, data)  # the same bytes: digested again, the same digest
    assert learn_constants(str(binary)) == learned and len(digests) == 1
    _rewrite_in_place(library, data[:-1] + bytes([data[-1] ^ 1]))  # one byte more
    with pytest.raises(AssertionError, match="was run"):
        learn_constants(str(binary))
    assert len(digests) == 2 and digests[0] != digests[1]


def test_a_relocated_copy_is_recognised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        interpreters: list[Interpreter]) -> None:
    """$ORIGIN: the copy loads its own copy of libpython, of the same content; its
    constants are the build's (the compiled-in PREFIX), wherever it lies."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    binary = _relocatable(interpreters, tmp_path / "py")
    learned = learn_constants(str(binary))
    shutil.copytree(tmp_path / "py", tmp_path / "elsewhere", symlinks=True)
    _not_run(monkeypatch)
    moved = tmp_path / "elsewhere" / "bin" / binary.name
    placed = learn_constants(str(moved))
    assert not placed.prefix.startswith(str(tmp_path))  # configure's, not the copy's
    # The one fact of the place: the libpython the loader gives it, as ldd names it.
    for constants, where in ((learned, binary), (placed, moved)):
        done = subprocess.run(["ldd", str(where)], capture_output=True, text=True, env={})
        linked = re.search(r"libpython\S+ => (\S+)", done.stdout)
        assert linked and constants.library == linked[1]
    assert placed == dataclasses.replace(learned, library=placed.library)


def test_a_fifo_is_not_digested(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a FIFO waits for a writer: the digest refuses it at once, in one line."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    os.mkfifo(tmp_path / "python3")
    with pytest.raises(InterpreterError, match="not a regular file") as raised:
        learn_constants(str(tmp_path / "python3"))
    assert "\n" not in str(raised.value)


def test_learn_constants_errors_are_one_line(tmp_path: Path) -> None:
    for bad in ("/nonexistent/python3", shutil.which("true") or "/bin/true"):
        with pytest.raises(InterpreterError) as raised:
            learn_constants(bad, use_cache=False)
        assert bad in str(raised.value) and "\n" not in str(raised.value)


def test_broken_interpreter_output_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    """An interpreter that crashes while reporting gets a one-line error, not a traceback."""
    monkeypatch.setattr(mod, "CODE", "import sys\nraise SystemExit('no sysconfig here')\n")
    binary = shutil.which("python3") or ""
    if not binary:
        pytest.skip("no python3 on PATH")
    with pytest.raises(InterpreterError, match="no sysconfig here"):
        learn_constants(binary, use_cache=False)


# -- the host world ---------------------------------------------------------------------------
def test_host_world(interpreters: list[Interpreter], tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    extra = tmp_path / "python"
    shutil.copy2(interpreters[-1].real_path, extra)
    world = host_world(extra=[str(extra)])
    assert isinstance(world.fs, Snapshot) and world.fs.root == "/"
    assert set(world.builds) == {i.real_path for i in interpreters} | {str(extra)}
    for interp in interpreters:
        assert world.builds[interp.real_path] == interp.constants
    assert world.builds[str(extra)] == interpreters[-1].constants


def test_host_world_goes_on_past_an_extra_it_cannot_learn(
        interpreters: list[Interpreter], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One unusable extra binary (here a missing file and a shell script) is reported and
    left out; the good extra and every discovered interpreter still count."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    good = tmp_path / "python"
    shutil.copy2(interpreters[-1].real_path, good)
    script = tmp_path / "not-python"
    script.write_text("#!/bin/sh\nexit 3\n")
    script.chmod(0o755)
    missing = tmp_path / "nowhere" / "python"
    errors: list[str] = []
    world = host_world(extra=[str(missing), str(script), str(good)], errors=errors)
    assert set(world.builds) == {i.real_path for i in interpreters} | {str(good)}
    assert world.builds[str(good)] == interpreters[-1].constants
    assert len(errors) == 2
    assert str(missing) in errors[0] and str(script) in errors[1]
    assert all("\n" not in e for e in errors)


def test_frozen_interpreters_are_a_subset(frozen_interpreters: list[Interpreter],
                                          interpreters: list[Interpreter]) -> None:
    """_testinternalcapi.get_getpath_codeobject exists from 3.11 (the frozen getpath.py)."""
    assert set(frozen_interpreters) <= set(interpreters)
    assert all(i.version is not None and i.version >= (3, 11, 0) for i in frozen_interpreters)
