"""Values in text output, escaped once: the one escaping function every text rendering uses
(README, "Text output").  Imports nothing beyond the standard library, so that the one-line
error report (impl/cli/errors.py) can use it without loading rich.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re

_C_ESCAPES = {"\\": "\\\\", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n",
              "\v": "\\v", "\f": "\\f", "\r": "\\r"}
_ESCAPED = "[\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]"
"""What a value may not show raw: the backslash (the escape character itself), C0 and C1
controls with DEL, the Unicode line and paragraph separators, and lone surrogates.  Each of
them is a character str.isprintable() refuses, or the backslash: a text that is printable
and holds no backslash is shown as it is, without loading re (a warm build venv prints
paths and must start fast)."""
_PATTERNS: dict[bool, re.Pattern[str]] = {}


def show(text: str, *, backslash: bool = True) -> str:
    """A value (path, argument, environment value, message) for text output, escaped once
    as `ls -b` escapes a file name, so that it can neither forge a line nor hide a byte: C's
    escapes (\\n, \\t, \\\\ ...), an undecodable byte (a lone surrogate from
    surrogateescape) as \\xNN; another control character as \\xNN (C0, DEL) or \\uNNNN
    (C1, line separators, other lone surrogates: a C1 control is not the byte of that value).
    Everything else, non-ASCII letters and spaces included, as is.

    ``backslash=False`` is for a text whose quoted parts are Python reprs, escaped already (a
    trace step's detail): its backslashes are those escapes, kept as they are."""
    if text.isprintable() and (not backslash or "\\" not in text):
        return text
    pattern = _PATTERNS.get(backslash)
    if pattern is None:
        import re

        source = _ESCAPED if backslash else _ESCAPED.replace("\\\\", "", 1)
        pattern = _PATTERNS[backslash] = re.compile(source)
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _C_ESCAPES:
        return _C_ESCAPES[char]
    if "\udc80" <= char <= "\udcff":
        return f"\\x{ord(char) - 0xdc00:02x}"
    return f"\\x{ord(char):02x}" if ord(char) < 0x80 else f"\\u{ord(char):04x}"


def quoted(text: str) -> str:
    """A value between quotes, escaped by :func:`show`: single quotes, or double ones when
    it holds a single quote and no double one (as Python's repr chooses); a quote of the
    kind around it is written \\'."""
    if "'" in text and '"' not in text:
        return f'"{show(text)}"'
    return "'" + show(text).replace("'", "\\'") + "'"
