"""Where a Python module's header ends: the first statement that is neither the module
docstring nor a ``from __future__`` import.

Code injected into a script must go there: before it, a ``__future__`` import would no longer
be first (a SyntaxError) and the docstring would stop being ``__doc__``.  The rules are
CPython's (Python/future.c future_parse: an optional docstring, then future imports, the
first other statement ends them; a string statement is the docstring only if it is a str
constant, so not ``b"..."`` or ``f"..."``).  This is a small lexer of our own, not the host's
``tokenize``, so that the answer does not depend on which Python runs prefixlab; it
understands what a header can contain: comments, blank and backslash-continued lines,
string literals of every prefix and quote, brackets, ``;``.
"""

from __future__ import annotations

import bisect
import re

from prefixlab.model.scripts.lines import ScriptError
from prefixlab.model.speedups import dataclass

_LINE_END = re.compile(rb"\r\n|\r|\n")  # Python's physical lines (its tokenizer's newlines)
_BLANK = re.compile(rb"[ \t\x0c]*")
_NAME = re.compile(rb"[A-Za-z0-9_\x80-\xff]+")
_STRING_START = re.compile(rb"([rRuUbBfF]{0,2})('''|\"\"\"|'|\")")
_STR_PREFIXES = frozenset({b"", b"r", b"u", b"R", b"U"})
"""Prefixes of a str literal (a docstring); b and f ones are bytes and f-strings."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    """'name', 'string', 'op', 'newline' (end of a logical line) or 'eof'."""
    text: bytes
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class HeaderEnd:
    """Where code may be inserted: before physical line ``line`` (0-based; equal to the
    number of lines when the whole script is header)."""

    line: int
    lines: tuple[bytes, ...]
    """The script's physical lines, line endings included."""


class _Lexer:
    def __init__(self, text: bytes) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0
        self.starts = [0] + [m.end() for m in _LINE_END.finditer(text)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def next(self) -> _Token:
        text = self.text
        while True:
            self.pos = _BLANK.match(text, self.pos).end()  # type: ignore[union-attr]
            if self.pos >= len(text):
                return self._eof()
            char = text[self.pos:self.pos + 1]
            if char == b"#":
                end = _LINE_END.search(text, self.pos)
                self.pos = end.start() if end else len(text)
                continue
            if char == b"\\":
                newline = _LINE_END.match(text, self.pos + 1)
                if newline is None:
                    return self._take("op", self.pos + 1)
                if newline.end() >= len(text):
                    raise self._error("a backslash continues the last line")
                self.pos = newline.end()
                continue
            newline = _LINE_END.match(text, self.pos)
            if newline is not None:
                start, self.pos = self.pos, newline.end()
                if self.depth == 0:
                    return _Token("newline", b"", start, self.pos)
                continue
            return self._token()

    def _token(self) -> _Token:
        string = _STRING_START.match(self.text, self.pos)
        if string is not None:
            return self._string(string)
        name = _NAME.match(self.text, self.pos)
        if name is not None:
            return self._take("name", name.end())
        char = self.text[self.pos:self.pos + 1]
        if char in b"([{":
            self.depth += 1
        elif char in b")]}" and self.depth > 0:
            self.depth -= 1
        return self._take("op", self.pos + 1)

    def _string(self, match: re.Match[bytes]) -> _Token:
        quote, i = match.group(2), match.end()
        while True:
            if i >= len(self.text):
                raise self._error("a string that never closes", match.start())
            if self.text.startswith(quote, i):
                return self._take("string", i + len(quote))
            if self.text[i:i + 1] == b"\\":  # escapes the next character, raw strings too
                newline = _LINE_END.match(self.text, i + 1)
                i = newline.end() if newline else i + 2
                continue
            if len(quote) == 1 and _LINE_END.match(self.text, i):
                raise self._error("a string that never closes", match.start())
            i += 1

    def _take(self, kind: str, end: int) -> _Token:
        token = _Token(kind, self.text[self.pos:end], self.pos, end)
        self.pos = end
        return token

    def _eof(self) -> _Token:
        if self.depth:
            raise self._error("a bracket that never closes")
        return _Token("eof", b"", len(self.text), len(self.text))

    def _error(self, what: str, offset: int | None = None) -> ScriptError:
        line = self.line_of(self.pos if offset is None else offset) + 1
        return ScriptError(f"line {line}: {what}, before the module header ends")


def header_end(script: bytes) -> HeaderEnd:
    """Where the header of ``script`` ends (see the module docstring).  Raises ScriptError
    when a construct opened before that point never closes (the script cannot compile)."""
    lexer = _Lexer(script)
    lines = tuple(script[a:b] for a, b in zip(lexer.starts, lexer.starts[1:] + [len(script)])
                  if a < b)
    first = True
    token = lexer.next()
    while True:
        while token.kind == "newline":
            token = lexer.next()
        if token.kind == "eof":
            return HeaderEnd(len(lines), lines)
        starts_line = True
        while True:  # the statements of one logical line
            kind, token = _statement(lexer, token, first)
            first = False
            if kind == "code" and starts_line:
                return HeaderEnd(lexer.line_of(token.start), lines)
            if kind == "code":  # after a header statement and ';': after the whole line
                return HeaderEnd(_after_logical_line(lexer, len(lines)), lines)
            if token.kind == "eof":
                return HeaderEnd(len(lines), lines)
            if token.kind == "newline":
                break
            starts_line = False


def _after_logical_line(lexer: _Lexer, count: int) -> int:
    while True:
        token = lexer.next()
        if token.kind == "eof":
            return count
        if token.kind == "newline":
            return lexer.line_of(token.start) + 1


def _statement(lexer: _Lexer, token: _Token, first: bool) -> tuple[str, _Token]:
    """Classify the statement starting at ``token``: ('header', the token after it) or
    ('code', its first token)."""
    if first and _is_docstring_start(token):
        return _docstring(lexer, token)
    if token.kind == "name" and token.text == b"from":
        words = [lexer.next(), lexer.next()]
        if [w.text for w in words] == [b"__future__", b"import"]:
            return "header", _rest_of_statement(lexer)
    return "code", token


def _is_docstring_start(token: _Token) -> bool:
    return token.kind == "string" or token.text == b"("


def _docstring(lexer: _Lexer, token: _Token) -> tuple[str, _Token]:
    """``"doc"``, ``"a" "b"``, ``("doc")``: str literals only, maybe in one pair of brackets."""
    start, opened, strings = token, 0, 0
    while token.text == b"(" and strings == 0:
        opened += 1
        token = lexer.next()
    while token.kind == "string" and _string_prefix(token) in _STR_PREFIXES:
        strings += 1
        token = lexer.next()
    while token.text == b")" and opened:
        opened -= 1
        token = lexer.next()
    if strings and not opened and token.kind in ("newline", "eof"):
        return "header", token
    if strings and not opened and token.text == b";":
        return "header", lexer.next()
    return "code", start


def _string_prefix(token: _Token) -> bytes:
    match = _STRING_START.match(token.text)
    assert match is not None
    return match.group(1)


def _rest_of_statement(lexer: _Lexer) -> _Token:
    """Skip to the end of a statement: the token after ';', or the newline / eof."""
    while True:
        token = lexer.next()
        if token.kind in ("newline", "eof"):
            return token
        if token.text == b";" and lexer.depth == 0:
            return lexer.next()
