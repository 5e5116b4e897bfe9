"""What `build venv`'s cache trusts (impl/builders/venv.py): an interpreter binary rewritten
in place with its size and mtime kept is a different interpreter, and a cache entry whose
content was edited is learned again.  The judge is the real interpreter: the venv built
after the change must start with its own site-packages on sys.path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import in_scope_interpreters, require_oracle
from support.relocatable import origin_python
from prefixlab.impl.builders import venv as bv
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.builders.venv import Options

INTERPRETERS = in_scope_interpreters()
PROBE = "import sys, json; print(json.dumps([list(sys.version_info[:2]), sys.path]))"


@pytest.fixture(name="scratch")
def _scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    yield tmp_path


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def _same_size_pair() -> tuple[Interpreter, Interpreter] | None:
    """Two pyenv interpreters of different minor versions whose binaries have the same size
    (pyenv's 3.12.1 and 3.13.0 are both 17,600 bytes: the version lives in libpython)."""
    # Newest first: the pair of the reported failure when it is here.
    pyenv = [i for i in reversed(INTERPRETERS) if i.source == "pyenv" and i.version]
    for old in pyenv:
        for new in pyenv:
            assert old.version is not None and new.version is not None
            if old.version[:2] < new.version[:2] and \
                    os.path.getsize(old.real_path) == os.path.getsize(new.real_path):
                return old, new
    return None


def _installation(root: Path, *interps: Interpreter) -> None:
    """root/lib/pythonX.Y -> each interpreter's own stdlib, so that a binary copied to
    root/bin finds its landmarks under root whichever version it is."""
    (root / "bin").mkdir(parents=True)
    (root / "lib").mkdir()
    for interp in interps:
        assert interp.constants is not None
        stdlib = Path(interp.constants.prefix) / interp.constants.stdlib_subdir
        (root / interp.constants.stdlib_subdir).symlink_to(stdlib)


def _started(python: Path) -> tuple[tuple[int, int], list[str]]:
    done = subprocess.run([str(python), "-c", PROBE], env=_env(), capture_output=True,
                          text=True, timeout=60, cwd="/")
    assert done.returncode == 0, done.stderr[-500:]
    version, path = json.loads(done.stdout)
    return (version[0], version[1]), path


def _minor(interp: Interpreter) -> tuple[int, int]:
    assert interp.version is not None
    return interp.version[0], interp.version[1]


def _site_packages(venv: Path, version: tuple[int, int]) -> str:
    return str(venv / "lib" / ("python%d.%d" % version) / "site-packages")


@pytest.mark.real
def test_binary_replaced_in_place_keeping_size_and_mtime(scratch: Path) -> None:
    pair = _same_size_pair()
    require_oracle(pair is not None, "two pyenv interpreters with binaries of equal size")
    assert pair is not None
    old, new = pair
    root = scratch / "py"
    _installation(root, old, new)
    binary = root / "bin" / "python3"
    shutil.copy2(old.real_path, binary)
    first = scratch / "v1"
    bv.build_venv(str(binary), str(first), env=_env(), cwd=str(scratch))
    version, path = _started(first / "bin" / "python")
    assert version == _minor(old) and _site_packages(first, version) in path

    # In place: same inode, same size, same mtime (only the ctime can tell).
    before = os.stat(binary)
    with open(binary, "r+b") as handle:
        handle.write(Path(new.real_path).read_bytes())
    os.utime(binary, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(binary)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == \
        (before.st_ino, before.st_size, before.st_mtime_ns)

    second = scratch / "v2"
    bv.build_venv(str(binary), str(second), env=_env(), cwd=str(scratch))
    version, path = _started(second / "bin" / "python")
    assert version == _minor(new)
    assert _site_packages(second, version) in path


@pytest.mark.real
def test_libpython_rewritten_in_place_is_learned_again(scratch: Path) -> None:
    """The model never reads libpython, but the version and PREFIX live there: the entry
    watches the library the binary loads ($ORIGIN/../lib here)."""
    pyenv = [i for i in INTERPRETERS if i.source == "pyenv" and i.constants is not None]
    built = None
    if pyenv and pyenv[-1].constants is not None:
        built = origin_python(pyenv[-1].constants.prefix, "%d.%d" % _minor(pyenv[-1]),
                              scratch / "py")
    require_oracle(built is not None, "a C compiler and a pyenv interpreter's headers")
    assert built is not None
    cwd, env = str(scratch), _env()
    assert not bv.learn(str(built), str(scratch / "v"), Options(), cwd=cwd, env=env).cached
    assert bv.learn(str(built), str(scratch / "v"), Options(), cwd=cwd, env=env).cached
    [library] = (scratch / "py" / "lib").glob("libpython*.so.1.0")
    before = os.stat(library)
    # Other bytes of the same size (the compiler's note in .comment, which the loader never
    # reads): the same bytes rewritten would be the same interpreter, and the cache compares
    # a file whose ctime alone changed by content.
    data = library.read_bytes()
    at = data.index(b"GCC: (") + len(b"GCC: (")
    with open(library, "r+b") as handle:
        handle.write(data[:at] + b"X" + data[at + 1:])
    os.utime(library, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(library).st_size == before.st_size
    assert not bv.learn(str(built), str(scratch / "v"), Options(), cwd=cwd, env=env).cached


def _entries(scratch: Path) -> list[Path]:
    return sorted((scratch / "cache" / "prefixlab" / "venv").glob("*/*.marshal"))


@pytest.mark.real
def test_a_tampered_cache_entry_is_learned_again(scratch: Path) -> None:
    interp = INTERPRETERS[-1]
    cwd, env = str(scratch), _env()
    first = bv.learn(interp.path, str(scratch / "v"), Options(), cwd=cwd, env=env)
    [entry] = _entries(scratch)
    raw = entry.read_bytes()
    # The activate script's text as the cache holds it, edited (same length or not).
    start = raw.index(b"deactivate")
    entry.write_bytes(raw[:start] + b"DEACTIVATE" + raw[start + len(b"deactivate"):])
    again = bv.learn(interp.path, str(scratch / "v"), Options(), cwd=cwd, env=env)
    assert not again.cached  # well-formed, but not what was written: learned again
    assert again.source == first.source
    # A damaged entry is neither trusted nor a traceback.
    entry.write_bytes(entry.read_bytes()[: len(raw) // 2])
    assert not bv.learn(interp.path, str(scratch / "v"), Options(), cwd=cwd, env=env).cached
    assert bv.learn(interp.path, str(scratch / "v"), Options(), cwd=cwd, env=env).cached


@pytest.mark.real
def test_an_entry_learned_by_other_code_is_learned_again(scratch: Path) -> None:
    """The entry names the files of the prefixlab modules that learned it (the model's
    prediction among them) with their state; one of them changed since (an edit, an
    upgrade) and the answer is learned again, by the code as it is now."""
    import marshal

    import prefixlab.model.startup.predict as predict

    interp = INTERPRETERS[-1]
    cwd, env = str(scratch), _env()
    bv.learn(interp.path, str(scratch / "v"), Options(), cwd=cwd, env=env)
    [entry] = _entries(scratch)
    data = marshal.loads(bv._unsealed(entry.read_bytes()))
    assert predict.__file__ in data["code"] and bv.__file__ in data["code"]
    assert bv.learn(interp.path, str(scratch / "v"), Options(), cwd=cwd, env=env).cached
    size, *rest = data["code"][predict.__file__]
    data["code"][predict.__file__] = [size + 1, *rest]  # as if predict.py had been edited
    entry.write_bytes(bv._sealed(marshal.dumps(data)))
    assert not bv.learn(interp.path, str(scratch / "v"), Options(), cwd=cwd, env=env).cached
    assert bv.learn(interp.path, str(scratch / "v"), Options(), cwd=cwd, env=env).cached
