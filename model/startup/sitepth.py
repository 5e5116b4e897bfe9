"""Reading a .pth file as site.addpackage() does: bytes to numbered lines, per version.

3.8-3.12 iterate a text file opened in the locale encoding with universal newlines; 3.13
decodes the bytes as utf-8-sig (a BOM is dropped), falls back to the locale encoding, and splits
with str.splitlines() (gh-77102), which also breaks lines at \\v, \\f, \\x1c-\\x1e, \\x85,
\\u2028 and \\u2029.  An undecodable file makes the import of site fail in both readers (the
error escapes addpackage), so start-up fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Reader = Literal["locale-text", "utf8-sig-bytes"]


@dataclass(frozen=True)
class PthLines:
    lines: tuple[str, ...] = ()
    """The lines as site iterates them (3.8-3.12 keep their '\\n')."""
    error: str = ""
    """Why the file cannot be decoded ('' when it can)."""
    unknown_encoding: bool = False
    """The locale encoding is not known to the model and the bytes are not ASCII."""


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


def read_lines(data: bytes, reader: Reader, encoding: str | None) -> PthLines:
    if reader == "utf8-sig-bytes":
        return _split_utf8_sig(data, encoding)
    return _universal_lines(data, encoding)


def _decode(data: bytes, encoding: str | None) -> str | PthLines:
    if encoding is None:
        if data.isascii():
            return data.decode("ascii")
        return PthLines(unknown_encoding=True)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        return PthLines(error=f"{error.encoding} codec can't decode byte at {error.start}")


def _universal_lines(data: bytes, encoding: str | None) -> PthLines:
    text = _decode(data, encoding)
    if isinstance(text, PthLines):
        return text
    # TextIOWrapper(newline=None): '\r\n' and '\r' read as '\n'; lines keep their end and
    # break only there (not at the other characters str.splitlines knows).
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return PthLines(tuple(lines))


def _split_utf8_sig(data: bytes, encoding: str | None) -> PthLines:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        fallback = _decode(data, encoding)
        if isinstance(fallback, PthLines):
            return fallback
        text = fallback
    return PthLines(tuple(text.splitlines()))
