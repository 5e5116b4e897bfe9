"""``#!/usr/bin/env -S python3 -u``: when a builder may run such a script with another Python.

The kernel passes everything after env's path as *one* argument (:mod:`prefixlab.model.exec.shebang`);
GNU env's ``-S`` splits it into several (:mod:`prefixlab.model.exec.gnuenv`), parses the pieces as
options again and then runs the first operand, looked up on PATH.  When the pieces are just
``PYTHON ARGS...`` (a Python interpreter's name or path, then its arguments), the only thing the
line decides that a builder must change is which Python runs: the line can be rewritten to
``#!ENV -S 'ENV_PYTHON' ARGS...``, every argument kept.  Anything else env is asked to do first
(``-i``, ``-u NAME``, ``-C DIR``, ``NAME=VALUE``, a ``${NAME}`` that depends on the caller's
environment, another option) changes what the program runs with: such lines are refused and the
script is left as it is: a builder must never change what the script does (the lesson of
nixpkgs #302385, which reverted an unwrapping that deleted a script's lines).

Pure: bytes in, bytes out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from prefixlab.model.exec import gnuenv
from prefixlab.model.exec import shebang
from prefixlab.model.speedups import dataclass

_PYTHON_NAME = re.compile(r"\.?(python|pypy)")  # as wrap.sh's grep, on the command's basename
_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
"""Words env -S and sh read as themselves (no quote, blank, escape, '$' or '#')."""


@dataclass(frozen=True)
class EnvPython:
    """Line 1 runs ``ENV -S 'COMMAND ARGS...'`` and COMMAND is a Python interpreter."""

    env: str
    """env's path, as the kernel reads it."""
    command: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Refused:
    """Line 1 runs a Python through env, but asks env for more than finding it."""

    why: str


class _Everything(Mapping[str, str]):
    """An environment in which every variable is set (to ``value``)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __getitem__(self, key: str) -> str:
        return self.value

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def read(head: bytes) -> EnvPython | Refused | None:
    """What line 1 of a script (its first bytes) asks env to do; None when it is no
    ``env OPTION...`` line running a Python (a plain ``env NAME`` line, another interpreter,
    no #!)."""
    line = shebang.parse(head)
    if (isinstance(line, shebang.NotAScript) or line.argument is None
            or line.interpreter.rsplit("/", 1)[-1] != "env"):
        return None
    argument = line.argument
    if not re.search(r"python|pypy", argument):
        return None
    first = argument.split(None, 1)[0]
    if argument.startswith("--split-string="):
        value = argument[len("--split-string="):]
    elif argument.startswith("-S") and len(argument) > 2:
        value = argument[2:]  # getopt: the rest of the word is -S's value
    elif argument.startswith("-") or "=" in first:
        # one word holding an option cluster or an assignment (`env -i python3` makes env
        # reject the option ' '; `env A=1 python3` runs 'python3' with A set)
        return Refused(f"runs env {first} (only `env -S PYTHON ARGS` can be retargeted)")
    else:
        return None  # `env NAME`, possibly with what env takes as part of the name
    try:
        words = gnuenv.split(value, {})
        if words != gnuenv.split(value, _Everything("x")):
            return Refused("its env -S string expands a variable of the caller's environment")
    except gnuenv.SplitError as error:
        return Refused(f"env rejects its -S string ({error})")
    if not words:
        return Refused("its env -S string names no command")
    command = words[0]
    if command.startswith("-"):
        return Refused(f"runs env -S with option {command} before the command")
    if "=" in command:
        return Refused(f"runs env -S with the assignment {command.split('=')[0]}=... before the "
                       "command")
    if not _PYTHON_NAME.match(command.rsplit("/", 1)[-1]):
        return None
    if any(c in word for word in words for c in "\0\n\r\t\v\f"):
        return Refused("an argument of its env -S string holds a control character")
    return EnvPython(line.interpreter, command, tuple(words[1:]))


def _quote(word: str) -> str:
    """One env -S word: as is when safe, else single-quoted (inside, env -S reads only
    ``\\\\`` and ``\\'`` as escapes)."""
    if _SAFE.fullmatch(word):
        return word
    return "'" + word.replace("\\", "\\\\").replace("'", "\\'") + "'"


def line(found: EnvPython, python: str, ending: bytes, limit: int) -> bytes | None:
    """Line 1 running ``python`` with ``found``'s arguments through the same env, or None when
    it would be longer than ``limit`` bytes (ending excluded) or would not read back as the
    same words (checked through the kernel's and env's own parsing)."""
    words = [python, *found.args]
    text = f"#!{found.env} -S {' '.join(_quote(w) for w in words)}"
    raw = text.encode("utf-8", "surrogateescape")
    if len(raw) > limit:
        return None
    parsed = shebang.parse(raw + ending)
    if (isinstance(parsed, shebang.NotAScript) or parsed.interpreter != found.env
            or parsed.argument is None or not parsed.argument.startswith("-S")):
        return None
    try:
        if gnuenv.split(parsed.argument[2:], {}) != words:
            return None
    except gnuenv.SplitError:
        return None
    return raw + ending


def trampoline(found: EnvPython, python: str) -> bytes | None:
    """installer's ``#!/bin/sh`` trampoline (for an interpreter path too long for a #! line)
    with the arguments before the script, or None when an argument is not a plain word (the
    trampoline's second line is also a Python string literal, which quotes and backslashes
    could end or escape)."""
    if not all(_SAFE.fullmatch(a) for a in found.args):
        return None
    exe = python if _SAFE.fullmatch(python) else "'" + python.replace("'", "'\"'\"'") + "'"
    if "'''" in exe or "\\" in exe:
        return None
    head = " ".join([exe, *found.args])
    return ("#!/bin/sh\n'''exec' " + head + ' "$0" "$@"\n' + "' '''\n").encode(
        "utf-8", "surrogateescape")


__all__ = ["EnvPython", "Refused", "line", "read", "trampoline"]
