"""The dynamic section of an ELF file, read without running it: the libraries it needs
(DT_NEEDED) and where the loader looks for them first (DT_RPATH, DT_RUNPATH).

Only what identifies an interpreter is read: 64-bit little-endian files (x86-64, AArch64,
RISC-V on Linux); any other class or byte order is refused with :class:`ElfError`, as is a
file that is not ELF or is cut short.  The layout is the System V ABI's (Elf64_Ehdr,
Elf64_Phdr, Elf64_Dyn); strings are found as the loader finds them, through the program
headers (PT_DYNAMIC, and PT_LOAD to map DT_STRTAB's address), not the section headers,
which a stripped file may lack.
"""

from __future__ import annotations

import contextlib
import mmap
import struct
from collections.abc import Iterator

from prefixlab.model.errors import BadInput
from prefixlab.model.speedups import dataclass

TYPE_CHECKING = False  # typing stays off a cold build's start-up (model/speedups.py)
if TYPE_CHECKING:
    from typing import BinaryIO

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")  # Elf64_Ehdr
_PHDR = struct.Struct("<IIQQQQQQ")  # Elf64_Phdr
_DYN = struct.Struct("<qQ")  # Elf64_Dyn

PT_LOAD, PT_DYNAMIC = 1, 2
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_RPATH, DT_RUNPATH = 0, 1, 5, 10, 15, 29
_MAX_ENTRIES = 1 << 16  # a real dynamic section has dozens: bounds a hostile file's loop


class ElfError(BadInput):
    """A file whose dynamic section cannot be read (one line saying why)."""


@dataclass(frozen=True)
class Dynamic:
    """The dynamic section's library entries, in file order (empty for a static file)."""

    needed: tuple[str, ...] = ()
    rpath: tuple[str, ...] = ()
    """DT_RPATH, split at ':' (used only when there is no DT_RUNPATH)."""
    runpath: tuple[str, ...] = ()
    """DT_RUNPATH, split at ':'."""


def read_dynamic(path: str) -> Dynamic:
    """The dynamic section of the file at ``path`` (ElfError if it cannot be read)."""
    try:
        with open(path, "rb") as handle, _mapped(handle) as image:
            return dynamic(image)
    except OSError as error:
        raise ElfError(f"{path}: cannot be read ({error.strerror})") from None
    except ElfError as error:
        raise ElfError(f"{path}: {error}") from None


@contextlib.contextmanager
def _mapped(handle: BinaryIO) -> Iterator[bytes | mmap.mmap]:
    """The file mapped, not read: only the headers and two small tables are looked at, and
    Debian's static python3.11 is 6.8 MB."""
    try:
        image = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except ValueError:  # an empty file cannot be mapped
        yield b""
        return
    with image:
        yield image


def dynamic(data: bytes | mmap.mmap) -> Dynamic:
    """The dynamic section of an ELF image (pure: bytes in, entries out)."""
    header = _header(data)
    phoff, phentsize, phnum = header[4], header[8], header[9]  # e_phoff, e_phentsize, e_phnum
    if phentsize != _PHDR.size and phnum:
        raise ElfError(f"program header entries of {phentsize} bytes, not {_PHDR.size}")
    segments = [_unpack(_PHDR, data, phoff + i * _PHDR.size, "program header")
                for i in range(phnum)]
    dynamics = [s for s in segments if s[0] == PT_DYNAMIC]
    if not dynamics:
        return Dynamic()  # statically linked: no loader, no libraries
    entries = _entries(data, dynamics[0][2], dynamics[0][5])
    strtab = _file_offset(segments, _only(entries, DT_STRTAB))
    size = _only(entries, DT_STRSZ)
    strings = data[strtab:strtab + size]
    if len(strings) != size:
        raise ElfError("the dynamic string table lies past the end of the file")

    def values(tag: int) -> tuple[str, ...]:
        return tuple(_string(strings, value) for kind, value in entries if kind == tag)

    return Dynamic(needed=values(DT_NEEDED), rpath=_split(values(DT_RPATH)),
                   runpath=_split(values(DT_RUNPATH)))


def _header(data: bytes | mmap.mmap) -> tuple[int, ...]:
    if data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    if len(data) < _EHDR.size:
        raise ElfError("cut short in its ELF header")
    if data[4] != 2 or data[5] != 1:
        kind = {1: "32-bit", 2: "64-bit"}.get(data[4], f"class {data[4]}")
        order = {1: "little-endian", 2: "big-endian"}.get(data[5], f"byte order {data[5]}")
        raise ElfError(f"a {kind} {order} ELF file (only 64-bit little-endian is read)")
    return tuple(_EHDR.unpack_from(data, 0))[1:]


def _unpack(layout: struct.Struct, data: bytes | mmap.mmap, offset: int, what: str
            ) -> tuple[int, ...]:
    if offset < 0 or offset + layout.size > len(data):
        raise ElfError(f"a {what} lies past the end of the file")
    return tuple(layout.unpack_from(data, offset))


def _entries(data: bytes | mmap.mmap, offset: int, size: int) -> list[tuple[int, int]]:
    """The (tag, value) pairs up to DT_NULL."""
    found = []
    for i in range(min(size // _DYN.size, _MAX_ENTRIES)):
        tag, value = _unpack(_DYN, data, offset + i * _DYN.size, "dynamic entry")
        if tag == DT_NULL:
            break
        found.append((tag, value))
    return found


def _only(entries: list[tuple[int, int]], tag: int) -> int:
    values = [value for kind, value in entries if kind == tag]
    if len(values) != 1:
        raise ElfError(f"{len(values)} dynamic entries of tag {tag}, not one")
    return values[0]


def _file_offset(segments: list[tuple[int, ...]], address: int) -> int:
    """Where the loaded address lies in the file (the PT_LOAD segment mapping it)."""
    for kind, _flags, offset, vaddr, _paddr, filesz, _memsz, _align in segments:
        if kind == PT_LOAD and vaddr <= address < vaddr + filesz:
            return offset + address - vaddr
    raise ElfError(f"the dynamic string table's address {address:#x} is in no loaded segment")


def _string(strings: bytes, offset: int) -> str:
    end = strings.find(b"\0", offset)
    if offset >= len(strings) or end < 0:
        raise ElfError("a dynamic string lies outside the string table")
    return strings[offset:end].decode("utf-8", "surrogateescape")


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part for value in values for part in value.split(":"))
