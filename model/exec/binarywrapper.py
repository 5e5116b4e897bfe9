"""nixpkgs' makeBinaryWrapper C dialect: what a compiled wrapper does, from its C source or from
the ``makeCWrapper`` command line nixpkgs embeds in the binary.

Both are read into the same value, a list of makeCWrapper flags; :func:`run` is their
meaning (pkgs/by-name/ma/makeBinaryWrapper/make-binary-wrapper.sh, b9b90f07): environment and
``chdir`` statements in flag order, then the extra arguments, then ``argv[0]`` (the
``--argv0`` value, or the wrapped path, unless ``--inherit-argv0``), then ``resolve_argv0``
(after the environment changes, so it sees a changed PATH), then ``execv`` (no PATH search).

The embedded record (``DOCSTRING``) is written by ``formatArgs``, which silently drops
``--resolve-argv0``: the record alone cannot tell whether argv[0] is resolved.  The compiled
code can: resolve_argv0 builds its candidates with ``sprintf(candidate, "%s/%s", ...)``, and
that format string is in the binary only then (:func:`read_binary`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from prefixlab.model.errors import NotModelled
from prefixlab.model.exec import bashwords
from prefixlab.model.speedups import dataclass

Flag = tuple[str, ...]
"""One flag and its arguments, e.g. ('--set', 'K', 'V')."""

ARITY = {"--set": 2, "--set-default": 2, "--unset": 1, "--prefix": 3, "--suffix": 3,
         "--chdir": 1, "--add-flag": 1, "--append-flag": 1, "--add-flags": 1,
         "--append-flags": 1, "--argv0": 1, "--inherit-argv0": 0, "--resolve-argv0": 0}

RECORD_START = "makeCWrapper "
RECORD_END = "\n\n\n# (Use `nix-shell -p makeBinaryWrapper`"
RESOLVE_TELL = b"%s/%s\0"


@dataclass(frozen=True)
class BinaryWrapper:
    executable: str
    flags: tuple[Flag, ...]
    resolve_known: bool = True
    """False when read from the record only: --resolve-argv0 may be missing."""


@dataclass(frozen=True)
class Unreadable:
    why: str


def _c_literal(text: str) -> str:
    """A C string literal's body (the escapes escapeStringLiteral writes, and the usual)."""
    out = bytearray()
    i = 0
    simple = {"\\": b"\\", '"': b'"', "n": b"\n", "r": b"\r", "t": b"\t", "'": b"'"}
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in simple:
            out += simple[text[i + 1]]
            i += 2
        elif c == "\\":
            raise bashwords.Unsupported(f"the C escape {text[i:i + 2]!r}")
        else:
            out += c.encode("utf-8", "surrogateescape")
            i += 1
    return out.decode("utf-8", "surrogateescape")


_S = r'"((?:[^"\\]|\\.)*)"'
_STATEMENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"putenv\({_S}\);"), "--set"),
    (re.compile(rf"assert_success\(setenv\({_S}, {_S}, 0\)\);"), "--set-default"),
    (re.compile(rf"assert_success\(unsetenv\({_S}\)\);"), "--unset"),
    (re.compile(rf"set_env_prefix\({_S}, {_S}, {_S}\);"), "--prefix"),
    (re.compile(rf"set_env_suffix\({_S}, {_S}, {_S}\);"), "--suffix"),
    (re.compile(rf"assert_success\(chdir\({_S}\)\);"), "--chdir"),
    (re.compile(rf"argv_tmp\[\d+\] = {_S};"), "--add-flag"),
    (re.compile(rf"argv_tmp\[\d+ \+ argc \+ \d+\] = {_S};"), "--append-flag"),
    (re.compile(rf"argv\[0\] = {_S};"), "--argv0"),
)
_IGNORED = re.compile(
    r"char \*\*argv_tmp = calloc\(.*\);|assert\(argv_tmp != NULL\);|argv_tmp\[0\] = argv\[0\];"
    r"|for \(int i = 1; i < argc; \+\+i\) \{|argv_tmp\[\d+ \+ i\] = argv\[i\];|\}"
    r"|argv_tmp\[\d+ \+ argc \+ \d+\] = NULL;|argv = argv_tmp;|")
_EXECV = re.compile(rf"return execv\({_S}, argv\);")


def read_source(source: str) -> BinaryWrapper | Unreadable:
    """The flags behind a makeCWrapper C source (the body of ``main``)."""
    if "#error" in source:
        line = next(x for x in source.split("\n") if "#error" in x)
        return Unreadable(f"the source does not compile: {line.strip()}")
    start = source.find("int main(int argc, char **argv) {\n")
    if start < 0:
        return Unreadable("no main() of the makeCWrapper shape")
    flags: list[Flag] = []
    inherit = True
    for raw in source[start:].split("\n")[1:]:
        line = raw.strip()
        if line == "argv[0] = resolve_argv0(argv[0]);":
            flags.append(("--resolve-argv0",))
            continue
        if m := _EXECV.fullmatch(line):
            if inherit:
                flags.append(("--inherit-argv0",))
            return BinaryWrapper(_c_literal(m[1]), tuple(flags))
        for pattern, flag in _STATEMENTS:
            if m := pattern.fullmatch(line):
                values = tuple(_c_literal(g) for g in m.groups())
                if flag == "--set":
                    name, _, value = values[0].partition("=")
                    values = (name, value)
                if flag == "--argv0":
                    inherit = False
                flags.append((flag, *values))
                break
        else:
            if not _IGNORED.fullmatch(line):
                return Unreadable(f"line not understood in main(): {repr(line)}")
    return Unreadable("main() has no execv")


def read_record(record: str) -> BinaryWrapper | Unreadable:
    """The flags in the ``makeCWrapper 'EXE' \\ --flag 'arg' ...`` record (formatArgs)."""
    parts = record.split(" \\\n    ")
    try:
        executable = bashwords.literal(parts[0])
        flags = [_record_line(part) for part in parts[1:]]
    except bashwords.Unsupported as why:
        return Unreadable(f"the makeCWrapper record is not understood: {why}")
    return BinaryWrapper(executable, tuple(flags), resolve_known=False)


def _record_line(part: str) -> Flag:
    name, _, rest = part.partition(" ")
    if name not in ARITY:
        raise bashwords.Unsupported(f"unknown flag {repr(name)}")
    values = tuple(bashwords.literal(word) for word in _quoted_words(rest))
    if len(values) != ARITY[name]:
        raise bashwords.Unsupported(f"{name} with {len(values)} arguments")
    return (name, *values)


def _quoted_words(text: str) -> list[str]:
    """Split ``'a b' $'c\\n' \\'`` into its quoted words (spaces only between words)."""
    words = re.findall(r"(?:'[^']*'|\\'|\$'(?:[^'\\]|\\.)*')+", text)
    if " ".join(words) != text:
        raise bashwords.Unsupported(f"{repr(text)} is not a list of quoted words")
    return words


def read_binary(data: bytes) -> BinaryWrapper | Unreadable | None:
    """A compiled wrapper's record, or None when the binary carries none."""
    start = data.find(RECORD_START.encode())
    if start < 0:
        return None
    end = data.find(RECORD_END.encode(), start)
    if end < 0:
        return Unreadable("the makeCWrapper record is cut short")
    text = data[start + len(RECORD_START):end].decode("utf-8", "surrogateescape")
    found = read_record(text.rstrip("\n"))
    if isinstance(found, BinaryWrapper) and RESOLVE_TELL in data:
        # The record omits --resolve-argv0 but the code that resolves is there; it runs last.
        return BinaryWrapper(found.executable, (*found.flags, ("--resolve-argv0",)), True)
    return found if not isinstance(found, BinaryWrapper) else BinaryWrapper(
        found.executable, found.flags, resolve_known=True)


# -- what it does ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """The wrapper's decisions, in order, before any system call."""

    env_ops: tuple[Flag, ...]
    """--set/--set-default/--unset/--prefix/--suffix/--chdir, in flag order."""
    before: tuple[str, ...]
    after: tuple[str, ...]
    argv0: str | None
    """None: inherited."""
    resolve: bool


def plan(wrapper: BinaryWrapper) -> Plan:
    env_ops: list[Flag] = []
    before: list[str] = []
    after: list[str] = []
    argv0: str | None = None
    inherit = False
    resolve = False
    for flag in wrapper.flags:
        name = flag[0]
        if name in ("--add-flag", "--append-flag"):
            (before if name == "--add-flag" else after).append(flag[1])
        elif name in ("--add-flags", "--append-flags"):
            # read -ra words <<< VALUE: the first line only, split on blanks
            words = re.split(r"[ \t]+", flag[1].split("\n", 1)[0].strip(" \t"))
            (before if name == "--add-flags" else after).extend(w for w in words if w)
        elif name == "--argv0":
            argv0, inherit = flag[1], False
        elif name == "--inherit-argv0":
            inherit = True
        elif name == "--resolve-argv0":
            resolve = True
        else:
            env_ops.append(flag)
    if not inherit and not argv0:
        argv0 = wrapper.executable
    return Plan(tuple(env_ops), tuple(before), tuple(after), None if inherit else argv0,
                resolve)


class UndefinedBehaviour(NotModelled, ValueError):
    """The C code reads past the end of a string here (the message says where): what
    happens then is not modelled."""


def _surrounded(env: str, pos: int, length: int, sep: str) -> bool:
    if pos != 0:
        if pos < len(sep) or env[pos - len(sep):pos] != sep:
            return False
    end = pos + length
    return end == len(env) or env[end:end + len(sep)] == sep


def set_env_prefix(env: Mapping[str, str], name: str, sep: str, value: str) -> str:
    existing = env.get(name)
    if existing is None:
        return value
    pos = existing.find(value)  # strstr: the first occurrence only
    if pos >= 0 and _surrounded(existing, pos, len(value), sep):
        if pos == 0:
            return existing
        rest = pos + len(value) + len(sep)
        if rest > len(existing):
            raise UndefinedBehaviour(
                f"set_env_prefix({name}): the value is already last in {name}, and the code "
                "reads past the end of the variable's string")
        return value + sep + existing[:pos] + existing[rest:]
    return value + sep + existing


def set_env_suffix(env: Mapping[str, str], name: str, sep: str, value: str) -> str:
    existing = env.get(name)
    if existing is None:
        return value
    pos = existing.find(value)
    if pos >= 0 and _surrounded(existing, pos, len(value), sep):
        if pos + len(value) == len(existing):
            return existing
        return existing[:pos] + existing[pos + len(value) + len(sep):] + sep + value
    return existing + sep + value
