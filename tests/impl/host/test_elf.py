"""The ELF dynamic-section reader (impl/host/elf.py) against binutils' `readelf -d` on every
interpreter here and the libraries they load, and the content identity built on it
(impl/host/identity.py) against the dynamic loader's own choice (ldd)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import in_scope_interpreters, require_oracle
from support.relocatable import origin_python
from prefixlab.impl.host import identity
from prefixlab.impl.host.elf import Dynamic, ElfError, dynamic, read_dynamic
from prefixlab.model.errors import PrefixlabError

INTERPRETERS = in_scope_interpreters()
READELF = shutil.which("readelf")
_ENTRY = re.compile(r"\((NEEDED|RPATH|RUNPATH)\)\s+(?:Shared library|Library r(?:un)?path): "
                    r"\[(.*)\]$")


def _readelf(path: str) -> Dynamic:
    done = subprocess.run([READELF or "readelf", "-d", "-W", path], capture_output=True,
                          text=True, timeout=60, check=True)
    found: dict[str, list[str]] = {"NEEDED": [], "RPATH": [], "RUNPATH": []}
    for line in done.stdout.splitlines():
        match = _ENTRY.search(line.strip())
        if match:
            found[match[1]].append(match[2])
    return Dynamic(tuple(found["NEEDED"]), tuple(p for v in found["RPATH"] for p in
                                                 v.split(":")),
                   tuple(p for v in found["RUNPATH"] for p in v.split(":")))


def _files() -> list[str]:
    """Every interpreter binary here and each shared library ldd says it loads."""
    files: list[str] = []
    for interp in INTERPRETERS:
        files.append(interp.real_path)
        files += [os.path.realpath(p) for p in _ldd(interp.real_path).values()]
    return sorted(set(files))


def _ldd(binary: str) -> dict[str, str]:
    """NEEDED name -> the file the loader resolved it to (ldd runs the loader, not the
    program)."""
    done = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=60,
                          env={})
    pairs = re.findall(r"^\s*(\S+) => (/\S+)", done.stdout, re.MULTILINE)
    return dict(pairs)


@pytest.mark.real
def test_dynamic_section_as_readelf_reads_it() -> None:
    require_oracle(READELF is not None, "binutils' readelf")
    files = _files()
    assert files
    for path in files:
        assert read_dynamic(path) == _readelf(path), path


@pytest.mark.real
def test_libpython_is_the_one_the_loader_picks() -> None:
    require_oracle(shutil.which("ldd") is not None, "ldd")
    for interp in INTERPRETERS:
        loaded = {name: os.path.realpath(path) for name, path in _ldd(interp.real_path).items()
                  if name.startswith("libpython")}
        found = identity.identify(interp.real_path)
        assert sorted(os.path.realpath(p) for p in found.libraries) == sorted(loaded.values())


@pytest.fixture(name="relocatable")
def _relocatable(tmp_path: Path) -> Path:
    """An interpreter whose libpython is found through $ORIGIN (tests/support)."""
    pyenv = [i for i in INTERPRETERS if i.source == "pyenv" and i.constants is not None]
    built = None
    if pyenv and pyenv[-1].constants is not None:
        version = pyenv[-1].constants.version
        built = origin_python(pyenv[-1].constants.prefix, "%d.%d" % version[:2],
                              tmp_path / "relocatable")
    require_oracle(built is not None, "a C compiler and a pyenv interpreter's headers")
    assert built is not None
    return built


@pytest.mark.real
def test_origin_runpath_as_readelf_and_the_loader_read_it(relocatable: Path) -> None:
    require_oracle(READELF is not None and shutil.which("ldd") is not None, "readelf, ldd")
    assert read_dynamic(str(relocatable)) == _readelf(str(relocatable))
    assert "$ORIGIN/../lib" in read_dynamic(str(relocatable)).runpath
    loaded = [os.path.realpath(p) for name, p in _ldd(str(relocatable)).items()
              if name.startswith("libpython")]
    found = identity.identify(str(relocatable))
    assert [os.path.realpath(p) for p in found.libraries] == loaded
    assert loaded[0].startswith(str(relocatable.parent.parent) + "/")


def test_origin_is_the_binary_s_directory(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "bin").mkdir()
    library = tmp_path / "lib" / "libpython3.12.so.1.0"
    library.write_bytes(b"a library")
    needed = Dynamic(("libpython3.12.so.1.0", "libc.so.6"), (), ("$ORIGIN/../lib",))
    libraries, probed = identity._libpythons(str(tmp_path / "bin" / "python3"), needed)
    assert [os.path.normpath(p) for p in libraries] == [str(library)]
    assert probed == libraries  # found in the first place looked at


def test_runpath_wins_over_rpath(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "libpython3.9.so.1.0").write_bytes(name.encode())
    both = Dynamic(("libpython3.9.so.1.0",), (str(tmp_path / "a"),), (str(tmp_path / "b"),))
    assert identity._libpythons("/x/python", both)[0] == (str(tmp_path / "b" /
                                                             "libpython3.9.so.1.0"),)
    rpath = Dynamic(("libpython3.9.so.1.0",), (str(tmp_path / "a"),), ())
    assert identity._libpythons("/x/python", rpath)[0] == (str(tmp_path / "a" /
                                                              "libpython3.9.so.1.0"),)


def test_every_interpreter_here_has_its_own_digest() -> None:
    """Different builds (pyenv's 3.12.1 and 3.13.0 binaries share a size; Debian's and
    pyenv's 3.11 a version) never share a digest; the same file always gives the same."""
    digests = [identity.identify(i.real_path).digest for i in INTERPRETERS]
    assert len(set(digests)) == len(digests)
    assert digests == [identity.identify(i.real_path).digest for i in INTERPRETERS]


def _header(ei_class: int, ei_data: int) -> bytes:
    return b"\x7fELF" + bytes([ei_class, ei_data, 1]) + bytes(57)


@pytest.mark.parametrize(("data", "why"), [
    (b"#!/bin/sh\n", "not an ELF file"),
    (b"\x7fELF\x02\x01", "cut short"),
    (_header(1, 1), "32-bit little-endian"),
    (_header(2, 2), "64-bit big-endian"),
    (_header(2, 1)[:32] + struct.pack("<Q", 1 << 40) + _header(2, 1)[40:54]
     + struct.pack("<HH", 56, 1) + bytes(6), "past the end"),
])
def test_other_files_are_refused_in_one_line(data: bytes, why: str) -> None:
    with pytest.raises(ElfError) as raised:
        dynamic(data)
    assert why in str(raised.value) and "\n" not in str(raised.value)
    assert isinstance(raised.value, PrefixlabError)


def test_a_static_file_needs_nothing() -> None:
    assert dynamic(_header(2, 1)) == Dynamic()


def test_damaged_real_binaries_fail_cleanly() -> None:
    """Cut short anywhere, or any byte of the headers and dynamic section flipped: an
    answer or an ElfError, never another exception."""
    require_oracle(bool(INTERPRETERS), "an interpreter")
    smallest = min(INTERPRETERS, key=lambda i: os.path.getsize(i.real_path))
    binary = Path(smallest.real_path).read_bytes()
    assert read_dynamic(smallest.real_path).needed  # one with a dynamic section
    damaged = [binary[:size] for size in range(0, len(binary), max(1, len(binary) // 97))]
    damaged += [binary[:i] + bytes([binary[i] ^ 0xFF]) + binary[i + 1:]
                for i in range(min(len(binary), 4096))]
    for data in damaged:
        try:
            dynamic(data)
        except ElfError:
            pass
