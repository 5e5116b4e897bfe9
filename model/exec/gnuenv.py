"""GNU env's ``-S STRING``: how it splits one argument into several.

Follows coreutils src/env.c build_argv(): blanks separate arguments outside quotes; ``'...'``
keeps everything but ``\\\\`` and ``\\'``; ``"..."`` keeps blanks and allows escapes; escapes are
``\\"`` ``\\#`` ``\\$`` ``\\'`` ``\\\\`` ``\\f`` ``\\n`` ``\\r`` ``\\t`` ``\\v``, ``\\_`` (a separator
outside double quotes, a space inside) and ``\\c`` (the end, outside double quotes); ``#`` at the
start of an argument ends the string; ``${NAME}`` is replaced by the variable's value (from the
environment env was started with); anything else is an error, and env exits with status 125.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from prefixlab.model.errors import PrefixlabError

_SPACE = " \t\n\v\f\r"
_ESCAPES = {'"': '"', "#": "#", "$": "$", "'": "'", "\\": "\\", "f": "\f", "n": "\n",
            "r": "\r", "t": "\t", "v": "\v"}


class SplitError(PrefixlabError, ValueError):
    """env refuses the string (exit status 125); the message is env's."""


def split(text: str, env: Mapping[str, str]) -> list[str]:
    """The arguments ``env -S TEXT`` stands for, or SplitError."""
    pieces: list[list[str]] = []
    sep = True  # the last character seen separated arguments
    dq = sq = False

    def begin() -> None:
        nonlocal sep
        if sep:
            pieces.append([])
            sep = False

    i = 0
    while i < len(text):
        c = text[i]
        if (c == "'" and not dq) or (c == '"' and not sq):
            if c == "'":
                sq = not sq
            else:
                dq = not dq
            begin()
            i += 1
        elif c in _SPACE and not (sq or dq):
            sep = True
            while i < len(text) and text[i] in _SPACE:
                i += 1
        elif c == "#" and sep:
            break
        elif c == "\\" and not (sq and text[i + 1:i + 2] not in ("\\", "'")):
            e = text[i + 1:i + 2]
            i += 2
            if e in _ESCAPES:
                begin()
                pieces[-1].append(_ESCAPES[e])
            elif e == "_" and not dq:
                sep = True
            elif e == "_":
                begin()
                pieces[-1].append(" ")
            elif e == "c" and not dq:
                return ["".join(p) for p in pieces]
            elif e == "c":
                raise SplitError("'\\c' must not appear in double-quoted -S string")
            elif e == "":
                raise SplitError("invalid backslash at end of string in -S")
            else:
                raise SplitError(f"invalid sequence '\\{e}' in -S")
        elif c == "$" and not sq:
            m = re.match(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text[i:])
            if m is None:
                raise SplitError("only ${VARNAME} expansion is supported, error at: "
                                 + text[i:])
            value = env.get(m[1])
            if value is not None:
                begin()
                pieces[-1].extend(value)
            i += len(m[0])
        else:
            begin()
            pieces[-1].append(c)
            i += 1
    else:
        if dq or sq:
            raise SplitError("no terminating quote in -S string")
    return ["".join(p) for p in pieces]
