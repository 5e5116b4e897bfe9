"""The small part of bash's word grammar that generated wrappers use, read exactly.

Generated wrapper lines hold words quoted by bash's ``${var@Q}`` (``'...'`` with ``'\\''`` for a
quote, a lone ``\\'``, or ``$'...'`` with C escapes) and, on the ``exec`` line, double-quoted
words and whatever text ``--add-flags`` put there verbatim.  :func:`words` expands one line as
bash would for a simple command: quoting, parameter expansion of ``$NAME``, ``${NAME}``,
``$0`` and ``"$@"``, and field splitting of unquoted expansions with the default IFS (bash
never imports IFS from the environment).  Anything else (command substitution, globbing,
brace or tilde expansion, operators, other special parameters) raises :class:`Unsupported`:
the caller reports it as not modelled instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prefixlab.model.errors import NotModelled, PrefixlabError
from prefixlab.model.speedups import dataclass, field

_IFS_WHITE = " \t\n"
_ANSI = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
         "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}
_OPERATORS = set(";&|<>()`")
_GLOB = set("*?[")
_NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_NAME_CHARS = _NAME_START + "0123456789"


class Unsupported(NotModelled, ValueError):
    """Bash text outside the modelled grammar (the message says which construct)."""


@dataclass(frozen=True)
class Context:
    """What expansions read: the shell's variables, $0 and the positional parameters."""

    variables: Mapping[str, str]
    dollar0: str = ""
    args: Sequence[str] = ()
    arrays: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Array variables (``"${NAME[@]}"`` expands to their elements)."""
    nounset: bool = False
    """set -u: expanding an unset variable is an error (:class:`Unbound`)."""


class Unbound(PrefixlabError):
    """set -u and an unset variable expanded: bash stops the script."""


def is_name(text: str) -> bool:
    """A shell identifier (a valid variable name)."""
    return bool(text) and text[0] in _NAME_START and all(c in _NAME_CHARS for c in text)


def _escape_value(text: str, i: int, kind: str) -> tuple[int, int]:
    digits, limit = ("01234567", 3) if kind == "o" else ("0123456789abcdefABCDEF", 2)
    j = i
    while j < len(text) and j - i < limit and text[j] in digits:
        j += 1
    if j == i:
        raise Unsupported("an empty \\x escape")
    return int(text[i:j], 8 if kind == "o" else 16) & 0xFF, j


def _ansi_c(text: str, i: int) -> tuple[str, int]:
    """A ``$'...'`` body from ``i`` (after the quote): its value and the index after it.

    Escapes stand for bytes (``\\303\\251`` is UTF-8 for e-acute), so the value is built as
    bytes and decoded as the model decodes all file text (UTF-8, surrogateescape).
    """
    out = bytearray()
    while True:
        if i >= len(text):
            raise Unsupported("an unterminated $'...' string")
        c = text[i]
        if c == "'":
            return out.decode("utf-8", "surrogateescape"), i + 1
        if c != "\\":
            out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        i += 1
        e = text[i] if i < len(text) else ""
        if e in _ANSI:
            out += _ANSI[e].encode()
            i += 1
        elif e in "01234567":
            value, i = _escape_value(text, i, "o")
            out.append(value)
        elif e == "x":
            value, i = _escape_value(text, i + 1, "x")
            out.append(value)
        else:
            raise Unsupported(f"the $'...' escape \\{e}")


def _value(ctx: Context, name: str) -> str | None:
    value = ctx.variables.get(name)
    if value is None and ctx.nounset:
        raise Unbound(f"{name}: unbound variable")
    return value


def _parameter(text: str, i: int, ctx: Context) -> tuple[str | None, int]:
    """A ``$`` expansion at ``text[i] == '$'``: (value or None when unset, index after)."""
    j = i + 1
    c = text[j] if j < len(text) else ""
    if c == "{":
        end = text.find("}", j)
        name = text[j + 1:end] if end > 0 else ""
        if not is_name(name):
            raise Unsupported(f"the expansion ${{{name}...}}")
        return _value(ctx, name), end + 1
    if c == "0":
        return ctx.dollar0, j + 1
    if c and c in _NAME_START:
        k = j
        while k < len(text) and text[k] in _NAME_CHARS:
            k += 1
        return _value(ctx, text[j:k]), k
    if c and (c in "#?$!*@-[(" or c in "123456789"):
        raise Unsupported(f"the expansion ${c}")
    return "$", j  # a $ that starts no expansion is literal


# A word is built as pieces: (text, quoted).  Unquoted pieces are split and globbed.
Piece = tuple[str, bool]


def _double_quoted(text: str, i: int,
                   ctx: Context) -> tuple[list[Piece], int, Sequence[str] | None]:
    """A ``"..."`` body from ``i``: pieces, index after, and the words when it was exactly
    ``"$@"`` or ``"${NAME[@]}"`` (each element one word)."""
    if text.startswith('$@"', i):
        return [], i + 3, ctx.args
    if text.startswith("${", i) and text.find('[@]}"', i) > 0:
        end = text.find('[@]}"', i)
        name = text[i + 2:end]
        if is_name(name) and name in ctx.arrays:
            return [], end + 5, ctx.arrays[name]
    out: list[str] = []
    while True:
        if i >= len(text):
            raise Unsupported("an unterminated double-quoted string")
        c = text[i]
        if c == '"':
            return [("".join(out), True)], i + 1, None
        if c == "\\" and i + 1 < len(text) and text[i + 1] in '$`"\\\n':
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
        elif c == "$":
            value, i = _parameter(text, i, ctx)
            out.append(value or "")
        elif c == "`":
            raise Unsupported("command substitution")
        else:
            out.append(c)
            i += 1


def _split(pieces: list[Piece], at_all: bool) -> list[str]:
    """Field splitting (default IFS) of unquoted pieces; an unquoted glob character is not
    modelled.  A word of nothing but empty unquoted expansions disappears."""
    fields: list[str] = []
    current: list[str] = []
    started = False
    for text, quoted in pieces:
        if quoted:
            current.append(text)
            started = True
            continue
        for c in text:
            if c in _GLOB:
                raise Unsupported(f"an unquoted glob character {repr(c)} (pathname expansion)")
            if c in _IFS_WHITE:
                if started:
                    fields.append("".join(current))
                    current, started = [], False
            else:
                current.append(c)
                started = True
    if started:
        fields.append("".join(current))
    return fields if fields or not at_all else [""]


def words(line: str, ctx: Context) -> list[str]:
    """The words of one simple-command line after expansion (``"$@"`` gives ctx.args)."""
    result: list[str] = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            break
        if line[i] == "#":
            raise Unsupported("a comment")
        pieces: list[Piece] = []
        literal = False  # any quoting at all keeps an empty word
        while i < n and line[i] not in " \t":
            c = line[i]
            if c in _OPERATORS:
                raise Unsupported(f"the shell operator {repr(c)}")
            if c == "'":
                end = line.find("'", i + 1)
                if end < 0:
                    raise Unsupported("an unterminated single-quoted string")
                pieces.append((line[i + 1:end], True))
                literal, i = True, end + 1
            elif c == "$" and line.startswith("$'", i):
                value, i = _ansi_c(line, i + 2)
                pieces.append((value, True))
                literal = True
            elif c == '"' or line.startswith('$"', i):
                # $"..." is a translated string: no message catalog, so its own text
                i += 1 if c == "$" else 0
                got, i, whole = _double_quoted(line, i + 1, ctx)
                if whole is not None:
                    if pieces or (i < n and line[i] not in " \t"):
                        raise Unsupported('"$@" joined to other text')
                    result.extend(whole)
                    break
                pieces.extend(got)
                literal = True
            elif c == "\\":
                if i + 1 >= n:
                    raise Unsupported("a trailing backslash (line continuation)")
                pieces.append((line[i + 1], True))
                literal, i = True, i + 2
            elif c == "$":
                if line.startswith("$(", i) or line.startswith("$[", i):
                    raise Unsupported("command or arithmetic substitution")
                expanded, i = _parameter(line, i, ctx)
                pieces.append((expanded or "", False))
            elif c in "{}~" and not pieces:
                raise Unsupported(f"a word starting with {repr(c)} (brace or tilde expansion)")
            elif c == "{" and "," in line[i:] or c == "{" and ".." in line[i:]:
                raise Unsupported("brace expansion")
            else:
                pieces.append((c, False))
                i += 1
        else:
            result.extend(_split(pieces, literal))
            continue
        # "$@" ended the word (break above)
    return result


_ANSI_OUT = {0x1B: "\\E", 0x07: "\\a", 0x0B: "\\v", 0x08: "\\b", 0x0C: "\\f",
             0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x5C: "\\\\", 0x27: "\\'"}


def quote(value: str) -> str:
    """bash's ``${value@Q}`` in the C locale (lib/sh/shquote.c sh_quote_reusable): ``'...'``
    for printable ASCII, a lone ``\\'`` for a quote alone, else ``$'...'`` with C escapes and
    octal for the other bytes.  :func:`literal` reads it back."""
    data = value.encode("utf-8", "surrogateescape")
    if any(not 0x20 <= byte <= 0x7E for byte in data):
        out = []
        for byte in data:
            if byte in _ANSI_OUT:
                out.append(_ANSI_OUT[byte])
            elif 0x20 <= byte <= 0x7E:
                out.append(chr(byte))
            else:
                out.append("\\%03o" % byte)
        return "$'" + "".join(out) + "'"
    if value == "'":
        return "\\'"
    return "'" + value.replace("'", "'\\''") + "'"


def literal(text: str) -> str:
    """The value of one word that must be a quoted literal as ``${var@Q}`` writes it:
    ``'...'`` pieces, ``\\'`` and ``$'...'``, nothing else."""
    out: list[str] = []
    i = 0
    if not text:
        raise Unsupported("an empty word where a quoted value was expected")
    while i < len(text):
        if text[i] == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise Unsupported("an unterminated single-quoted string")
            out.append(text[i + 1:end])
            i = end + 1
        elif text.startswith("\\'", i):
            out.append("'")
            i += 2
        elif text.startswith("$'", i):
            value, i = _ansi_c(text, i + 2)
            out.append(value)
        else:
            raise Unsupported(f"{repr(text)} is not a quoted literal")
    return "".join(out)
