"""impl/render/escape.py's show(): what it escapes is defined by the README ("Text output"):
the backslash, C0 and C1 controls with DEL, U+2028 and U+2029, and lone surrogates.  The
reference below is written from that list; show() must agree with it on any text, with its
shortcut for printable text (which loads no re) and without."""

from __future__ import annotations

import re
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from prefixlab.impl.render.escape import show

_NAMED = {"\\": "\\\\", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v",
          "\f": "\\f", "\r": "\\r"}


def reference(text: str, backslash: bool = True) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char == "\\" and not backslash:
            out.append(char)
        elif char in _NAMED:
            out.append(_NAMED[char])
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, from surrogateescape
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif 0x80 <= code <= 0x9F or code in (0x2028, 0x2029) or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


TEXTS = (st.text()
         | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e))
         | st.text(st.sampled_from(["a", " ", "\\", "\n", "\x7f", "\x85", "\u00a0", "\u2028",
                                    "\udc80", "\ud800", "é", "\u200b", "\x00"])))


@given(TEXTS, st.booleans())
def test_show_is_the_documented_escaping(text: str, backslash: bool) -> None:
    assert show(text, backslash=backslash) == reference(text, backslash)


def test_examples_from_the_readme() -> None:
    assert show("/tmp/a\nb") == "/tmp/a\\nb"
    assert show("C:\\x") == "C:\\\\x"
    assert show("caf\u00e9 \u00a0") == "caf\u00e9 \u00a0"  # non-ASCII and spaces as they are
    assert show(b"\xff".decode("utf-8", "surrogateescape")) == "\\xff"


def test_printable_text_loads_no_re() -> None:
    """A warm build venv prints paths through show(): re (about 5 ms of start-up) stays
    unloaded for printable text, and loads for text that needs escaping."""
    code = ("import sys\nassert 're' not in sys.modules, 'loaded before the test'\n"
            "from prefixlab.impl.render.escape import show\n"
            "show('/tmp/x y/\u00e9'); print('re' in sys.modules)\n"
            "show('a\\nb'); print('re' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


def test_the_reference_is_the_documented_pattern() -> None:
    """The reference against the README's character classes, as a regex of its own."""
    documented = re.compile("[\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
    for code in range(0x3000):
        char = chr(code)
        assert (reference(char) != char) == bool(documented.fullmatch(char)), hex(code)
