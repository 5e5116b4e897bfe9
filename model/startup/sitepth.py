"""Reading a .pth file as site.addpackage() does: bytes to numbered lines, per version.

3.8-3.12 iterate a text file opened in the locale encoding with universal newlines; 3.13
decodes the bytes as utf-8-sig (a BOM is dropped), falls back to the locale encoding, and splits
with str.splitlines() (gh-77102), which also breaks lines at \\v, \\f, \\x1c-\\x1e, \\x85,
\\u2028 and \\u2029.  An undecodable file makes the import of site fail in both readers (the
error escapes addpackage), so start-up fails.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal

from prefixlab.model.speedups import dataclass

Reader = Literal["locale-text", "utf8-sig-bytes"]


@dataclass(frozen=True)
class PthLines:
    """A file's lines as site iterates them, produced on demand from its bytes: a .pth file
    may be tens of megabytes of short lines, so they are never all held at once."""

    data: bytes = b""
    reader: Reader = "locale-text"
    encoding: str | None = None
    """What the bytes are decoded with: the reader's own codec first for utf8-sig-bytes."""
    error: str = ""
    """Why the file cannot be decoded ('' when it can)."""
    unknown_encoding: bool = False
    """The locale encoding is not known to the model and the bytes are not ASCII."""

    def __iter__(self) -> Iterator[str]:
        """The lines (3.8-3.12 keep their '\\n'); none when the file cannot be decoded."""
        if self.error or self.unknown_encoding:
            return
        split = _split_universal if self.reader == "locale-text" else _split_all
        first = True
        for chunk in _chunks(self.data):
            yield from split(chunk.decode(_codec(self.encoding, first)))
            first = False

    @property
    def lines(self) -> tuple[str, ...]:
        """Every line at once (for small files and tests)."""
        return tuple(self)


def locale_encoding(env: Mapping[str, str], use_environment: bool) -> str | None:
    """The locale encoding of a Python started with ``env`` (UTF-8 mode included).

    The C and POSIX locales turn on the UTF-8 mode (PEP 540) or are coerced to C.UTF-8
    (PEP 538), so they read UTF-8, unless PYTHONUTF8=0 with LC_ALL=C, which keeps ASCII.  A
    UTF-8 locale reads UTF-8.  Any other locale depends on the locales the host has: None.
    """
    utf8_env = env.get("PYTHONUTF8", "") if use_environment else ""
    if utf8_env == "1":
        return "utf-8"
    name = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or "C"
    codeset = name.partition(".")[2].partition("@")[0].lower().replace("-", "")
    if name in ("C", "POSIX"):
        forced_ascii = utf8_env == "0" and bool(env.get("LC_ALL"))
        return "ascii" if forced_ascii else "utf-8"
    if codeset == "utf8":
        return "utf-8"
    return None


_CHUNK = 1 << 20
"""Bytes decoded at a time (then cut at the next '\\n')."""


def read_lines(data: bytes, reader: Reader, encoding: str | None) -> PthLines:
    """The file's lines as ``reader`` makes them, checked for decoding first (the whole file
    is decoded before its first line counts, in both readers)."""
    if reader == "utf8-sig-bytes":
        if _decode_error(data, "utf-8-sig") is None:
            return PthLines(data, reader, "utf-8-sig")
        # site.py 3.13 addpackage: 'except UnicodeDecodeError' falls back to the locale
        # encoding, for the whole file.
        return _checked(data, reader, encoding)
    return _checked(data, reader, encoding)


def _checked(data: bytes, reader: Reader, encoding: str | None) -> PthLines:
    if encoding is None:
        if data.isascii():
            return PthLines(data, reader, "ascii")
        return PthLines(reader=reader, unknown_encoding=True)
    error = _decode_error(data, encoding)
    if error is not None:
        return PthLines(reader=reader, error=error)
    return PthLines(data, reader, encoding)


def _codec(encoding: str | None, first: bool) -> str:
    """The codec of one chunk: a BOM is only dropped at the start of the file."""
    codec = encoding or "ascii"
    return "utf-8" if codec == "utf-8-sig" and not first else codec


def _chunks(data: bytes) -> Iterator[bytes]:
    """``data`` in pieces of about _CHUNK bytes, each ending just after a '\\n' (or at the
    end).  The codecs read here (UTF-8, ASCII) never hold a '\\n' byte inside a character,
    and both readers break a line after every '\\n' ('\\r\\n' stays in one piece), so the
    pieces split into the lines the whole would."""
    start = 0
    size = len(data)
    while start < size:
        cut = data.find(b"\n", start + _CHUNK)
        end = size if cut < 0 else cut + 1
        yield data[start:end]
        start = end


def _decode_error(data: bytes, encoding: str) -> str | None:
    """Why ``data`` does not decode as ``encoding`` (the offset in the whole file), or None;
    decoded a piece at a time, nothing kept."""
    offset = 0
    for chunk in _chunks(data):
        try:
            chunk.decode(_codec(encoding, offset == 0))
        except UnicodeDecodeError as error:
            return f"{error.encoding} codec can't decode byte at {offset + error.start}"
        offset += len(chunk)
    return None


def _split_universal(text: str) -> Iterator[str]:
    """TextIOWrapper(newline=None): '\\r\\n' and '\\r' read as '\\n'; lines keep their end
    and break only there (not at the other characters str.splitlines knows)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    start = 0
    while True:
        cut = text.find("\n", start)
        if cut < 0:
            if start < len(text):
                yield text[start:]
            return
        yield text[start:cut + 1]
        start = cut + 1


def _split_all(text: str) -> Iterator[str]:
    """str.splitlines (site.py 3.13, gh-77102), a line at a time."""
    yield from text.splitlines()
