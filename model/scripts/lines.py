"""Python scripts as packagers handle them: bytes, physical lines and the ``#!`` line.

A script is ``bytes`` (it may be in any ASCII-compatible encoding, or not decode at all).  This
module splits line 1 into the parts a rewrite must keep: what comes before the interpreter,
the interpreter itself, the rest of the line and its ending.  ``nixwrap`` models nixpkgs'
wrapPythonPrograms and ``wrap`` prefixlab's own wrapper and unwrapper on top of it.
"""

from __future__ import annotations

import re

from prefixlab.model.errors import BadInput
from prefixlab.model.speedups import dataclass

# Linux's binfmt_script splits the #! line at blanks (space, tab): the first word is the
# interpreter, the rest (trimmed) one argument (fs/binfmt_script.c).
_BLANKS = re.compile(rb"[ \t]*")
_WORD = re.compile(rb"[^ \t\r\n]+")


class ScriptError(BadInput, ValueError):
    """A script (or a parameter) the operation cannot handle: the message says why."""


@dataclass(frozen=True, slots=True)
class Shebang:
    """Line 1 of a script, ``lead + interpreter + rest + ending``."""

    lead: bytes
    """``#!`` and the blanks after it."""
    interpreter: bytes
    """The interpreter path; for ``/usr/bin/env NAME`` the env path, blanks and NAME."""
    rest: bytes
    """What follows the interpreter (blanks, an argument), kept as written."""
    ending: bytes
    """``\\n``, ``\\r\\n`` or ``b""`` (a script that is only line 1, without a newline)."""
    env_options: bool = False
    """The interpreter is ``env`` followed by an option or an assignment (``env -S python3``,
    ``env -i``, ``env A=1 python3``), or by nothing: ``interpreter`` is then the env path."""

    @property
    def text(self) -> bytes:
        return self.lead + self.interpreter + self.rest + self.ending

    def with_interpreter(self, interpreter: bytes) -> bytes:
        """Line 1 with the interpreter replaced; spacing, argument and ending kept."""
        return self.lead + interpreter + self.rest + self.ending


def first_line(script: bytes) -> tuple[bytes, bytes]:
    """(line 1 with its ``\\n``, the rest)."""
    end = script.find(b"\n")
    if end < 0:
        return script, b""
    return script[:end + 1], script[end + 1:]


def parse_shebang(line: bytes) -> Shebang | None:
    """Line 1 split as a rewrite needs it, or None when it does not start with ``#!`` and an
    interpreter word."""
    body, ending = _split_ending(line)
    if not body.startswith(b"#!"):
        return None
    lead_end = _BLANKS.match(body, 2)
    assert lead_end is not None
    word = _WORD.match(body, lead_end.end())
    if word is None:
        return None
    lead, path = body[:lead_end.end()], word.group()
    if path.rsplit(b"/", 1)[-1] != b"env":
        return Shebang(lead, path, body[word.end():], ending)
    return _env_shebang(body, lead, word.end(), ending)


def _env_shebang(body: bytes, lead: bytes, env_end: int, ending: bytes) -> Shebang:
    """``#!/usr/bin/env NAME ...``: NAME belongs to the interpreter (env searches PATH for
    it); an option or NAME=VALUE after env is not a plain command name."""
    gap = _BLANKS.match(body, env_end)
    assert gap is not None
    name = _WORD.match(body, gap.end())
    if name is None or name.group().startswith(b"-") or b"=" in name.group():
        return Shebang(lead, body[len(lead):env_end], body[env_end:], ending, env_options=True)
    return Shebang(lead, body[len(lead):name.end()], body[name.end():], ending)


def _split_ending(line: bytes) -> tuple[bytes, bytes]:
    for ending in (b"\r\n", b"\n"):
        if line.endswith(ending):
            return line[:-len(ending)], ending
    return line, b""


def replace_interpreter(script: bytes, python: bytes) -> bytes:
    """The script with its #! interpreter replaced by ``python`` (``env`` and the command name
    together), everything else byte for byte as it was."""
    line, rest = first_line(script)
    shebang = parse_shebang(line)
    if shebang is None:
        raise ScriptError("line 1 is not a #! line")
    if shebang.env_options:
        raise ScriptError("line 1 runs env with an option or an assignment, or with no "
                          "command; only `env NAME` can be replaced by an interpreter path")
    return shebang.with_interpreter(python) + rest
