"""nixpkgs' makeWrapper shell dialect: read a wrapper text, and run it as bash would.

The recognised text is what ``makeShellWrapper`` writes (pkgs/build-support/setup-hooks/
make-wrapper.sh, the echo-based format in use 2022-2025, c04b0dda): after ``#! SHELL -e``, one
line per flag in argument order (the 2021 format differs where noted below)::

    export V='x'                          --set (value quoted by bash's ${x@Q})
    export V=${V-'x'}                     --set-default
    unset V                               --unset
    cd 'D'                                --chdir
    V=${V:+':'$V':'} ...  export V        --prefix / --suffix: a 6- or 7-line block per value
    exec [-a "ARGV0"] "TARGET"  FLAGS "$@" FLAGS

The 2021 format (``#! SHELL -eu``) adds ``declare -a extraFlagsArray=()``, appends with
``export V+=${V:+'S'}'x'`` and prepends with ``export V='x'${V:+'S'$V}`` (no de-duplication),
ends with ``set +u`` and passes ``"${extraFlagsArray[@]}"`` before ``"$@"``.

``--run`` text and any other line are not modelled: :func:`parse` names the first line it does
not understand.  The ``exec`` line is expanded by bash at run time (``--add-flags`` text is
spliced in unquoted), so it is read with :mod:`prefixlab.model.exec.bashwords`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from prefixlab.model.exec import bashwords
from prefixlab.model.exec.bashwords import Unsupported
from prefixlab.model.speedups import dataclass

_Q = r"(?:'[^']*'|\\'|\$'(?:[^'\\]|\\.)*')+"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SET = re.compile(rf"export ({_NAME})=({_Q})")
_SET_DEFAULT = re.compile(rf"export ({_NAME})=\$\{{({_NAME})-({_Q})\}}")
_UNSET = re.compile(rf"unset ({_NAME})")
_CD = re.compile(rf"cd ({_Q})")
_OLD_SUFFIX = re.compile(rf"export ({_NAME})\+=\$\{{({_NAME}):\+({_Q})\}}({_Q})")
_OLD_PREFIX = re.compile(rf"export ({_NAME})=({_Q})\$\{{({_NAME}):\+({_Q})\$({_NAME})\}}")
_DECLARE = re.compile(rf"declare -a ({_NAME})=\(\)")
_NOUNSET = re.compile(r"set ([+-])u")
_PLAIN_EXPORT = re.compile(rf"export ({_NAME})=((?:[^\s$`~\\'\"]|'[^']*'|\"[^\"$`\\]*\")+)")
_BLOCK = re.compile(rf"({_NAME})=\$\{{({_NAME}):\+({_Q})\$({_NAME})({_Q})\}}")

# Variables that make bash read or do more than the script says (a startup file, options,
# exported functions, POSIX mode): with one of them set, the wrapper is not modelled.
UNSAFE_ENV = ("BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "POSIXLY_CORRECT")


@dataclass(frozen=True)
class Set:
    name: str
    value: str
    default: bool = False
    """--set-default: only when the variable is unset."""


@dataclass(frozen=True)
class Unset:
    name: str


@dataclass(frozen=True)
class Chdir:
    directory: str


@dataclass(frozen=True)
class DeclareArray:
    """``declare -a NAME=()`` (the 2021 format's extraFlagsArray)."""

    name: str


@dataclass(frozen=True)
class Nounset:
    """``set -u`` (True) or ``set +u``."""

    on: bool


@dataclass(frozen=True)
class AddValue:
    """One value of --prefix/--suffix, with its de-duplication."""

    mode: str
    """'prefix' or 'suffix'; 'old-prefix' or 'old-suffix' for the 2021 format, which adds
    the value without de-duplication."""
    name: str
    separator: str
    value: str


Op = Set | Unset | Chdir | AddValue | DeclareArray | Nounset


@dataclass(frozen=True)
class ShellWrapper:
    """A makeWrapper shell wrapper, read."""

    ops: tuple[Op, ...]
    exec_line: str
    """The exec line, verbatim (expanded at run time)."""
    exec_line_number: int


@dataclass(frozen=True)
class NotUnderstood:
    """The first line (1-based) that is none of the generated forms."""

    line_number: int
    line: str
    why: str = ""


def looks_like(text: str) -> bool:
    """Is this (probably) a makeWrapper wrapper: an exec line of the generated shape?"""
    return any(line.startswith("exec ") for line in text.split("\n"))


def parse(text: str) -> ShellWrapper | NotUnderstood:
    """Read a wrapper text (its first line, the #! line, is the kernel's business)."""
    lines = text.split("\n")
    ops: list[Op] = []
    i = 1
    while i < len(lines):
        line = lines[i]
        if line.startswith("exec "):
            return ShellWrapper(tuple(ops), line, i + 1)
        if line.strip() == "" or line.startswith("#"):
            i += 1
            continue
        try:
            op, used = _op(lines, i)
        except Unsupported as why:
            return NotUnderstood(i + 1, line, str(why))
        if op is None:
            return NotUnderstood(i + 1, line)
        ops.append(op)
        i += used
    return NotUnderstood(len(lines), lines[-1] if lines else "", "no exec line")


def _op(lines: list[str], i: int) -> tuple[Op | None, int]:
    line = lines[i]
    if m := _SET.fullmatch(line):
        return Set(m[1], bashwords.literal(m[2])), 1
    if (m := _SET_DEFAULT.fullmatch(line)) and m[1] == m[2]:
        return Set(m[1], bashwords.literal(m[3]), default=True), 1
    if m := _UNSET.fullmatch(line):
        return Unset(m[1]), 1
    if m := _DECLARE.fullmatch(line):
        return DeclareArray(m[1]), 1
    if m := _NOUNSET.fullmatch(line):
        return Nounset(m[1] == "-"), 1
    if (m := _OLD_SUFFIX.fullmatch(line)) and m[1] == m[2]:
        return AddValue("old-suffix", m[1], bashwords.literal(m[3]), bashwords.literal(m[4])), 1
    if (m := _OLD_PREFIX.fullmatch(line)) and m[1] == m[3] == m[5]:
        return AddValue("old-prefix", m[1], bashwords.literal(m[4]), bashwords.literal(m[2])), 1
    if m := _CD.fullmatch(line):
        return Chdir(bashwords.literal(m[1])), 1
    if (m := _BLOCK.fullmatch(line)) and m[1] == m[2] == m[4] and m[3] == m[5]:
        return _block(lines, i, m[1], m[3])
    if m := _PLAIN_EXPORT.fullmatch(line):
        # a hand-written 'export V=value' without expansions: its one word, quotes removed
        got = bashwords.words(m[2], bashwords.Context({}))
        return (Set(m[1], got[0]), 1) if len(got) == 1 else (None, 1)
    return None, 1


def _block(lines: list[str], i: int, name: str, sep_q: str) -> tuple[Op | None, int]:
    """The lines after ``V=${V:+S$VS}``: a prefix (5 more) or suffix (6 more) block."""
    rest = lines[i + 1:i + 7]
    tail = [f"{name}=${{{name}#{sep_q}}}", f"{name}=${{{name}%{sep_q}}}", f"export {name}"]
    head = f"{name}=${{{name}/{sep_q}"
    if rest and rest[0].startswith(head) and rest[0].endswith(f"{sep_q}/{sep_q}}}"):
        value_q = rest[0][len(head):-len(f"{sep_q}/{sep_q}}}")]
        if rest[1:5] == [f"{name}={value_q}${name}", *tail]:
            return AddValue("prefix", name, bashwords.literal(sep_q),
                            bashwords.literal(value_q)), 6
    opening = f"if [[ ${name} != *{sep_q}"
    if rest and rest[0].startswith(opening) and rest[0].endswith(f"{sep_q}* ]]; then"):
        value_q = rest[0][len(opening):-len(f"{sep_q}* ]]; then")]
        if rest[1:6] == [f"    {name}=${name}{value_q}", "fi", *tail]:
            return AddValue("suffix", name, bashwords.literal(sep_q),
                            bashwords.literal(value_q)), 7
    return None, 1


def add_value(env: Mapping[str, str], op: AddValue) -> str:
    """The variable's new value after one --prefix/--suffix block (bash string operations:
    add separators at both ends, drop the first ``SEP VALUE SEP`` (prefix) or skip when
    present (suffix), then strip one separator from each end)."""
    sep, value = op.separator, op.value
    old = env.get(op.name, "")
    if op.mode == "old-suffix":  # export V+=${V:+S}x
        return old + (sep if old else "") + value
    if op.mode == "old-prefix":  # export V=x${V:+S$V}
        return value + (sep + old if old else "")
    current = f"{sep}{old}{sep}" if old else ""
    if op.mode == "prefix":
        current = current.replace(f"{sep}{value}{sep}", sep, 1)
        current = value + current
    elif f"{sep}{value}{sep}" not in current:
        current = current + value
    if current.startswith(sep):
        current = current[len(sep):]
    if sep and current.endswith(sep):
        current = current[:-len(sep)]
    return current


def legal_number(text: str | None) -> int | None:
    """bash's legal_number: an optionally signed decimal, blanks allowed around it."""
    if text is None or not re.fullmatch(r"[ \t\n]*[+-]?[0-9]+[ \t\n]*", text):
        return None
    return int(text)


def adjust_shell_level(text: str | None, change: int) -> str:
    """bash's adjust_shell_level (variables.c): SHLVL not a number counts as 0; the result is
    at least 0, and 1000 or more resets to 1.  bash adds one at start-up and a script's
    ``exec`` takes one away."""
    level = (legal_number(text) or 0) + change
    return str(0 if level < 0 else (1 if level >= 1000 else level))
