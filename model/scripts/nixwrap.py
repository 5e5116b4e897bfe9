"""nixpkgs' wrapPythonPrograms as a model: its #! rewrite and where its sed program puts the
preamble, quirks included, so that historical builders can be emulated and unwrappers tested.

Sources: NixOS/nixpkgs pkgs/development/interpreters/python/wrap.sh (wrapPythonProgramsIn,
patchPythonScript; read at 110f336c) and wrap-python.nix (magicalSedExpression; read at
273fa138).  The sed program runs under GNU sed with ``-r`` in the C locale (bytes).  It starts on
line 1 and loops (label ``r``):

1. a line ending in ``\\`` or ``,`` gets the next line appended (``N``);
2. a pattern space that contains ``__future__`` anywhere, starts with a space, or is blank or
   a comment is printed and the next line read (``n``);
3. a string opening with at most one *lower-case* prefix letter (``'''``, ``\"\"\"``, ``"``,
   ``'``, in that order) is skipped up to the line that closes it;
4. otherwise the preamble is inserted before the pattern space (``i``), and the program is done;
5. end of file during ``n`` or ``N`` ends sed (GNU prints the pattern space): no preamble.

Known consequences (nixpkgs #40427, the reverted unwrapper of #297628): the preamble lands
inside a parenthesized multi-line ``__future__`` import; an upper-case ``R\"\"\"`` docstring is not
skipped; a CR-LF blank line is code; line 3 is not always the preamble.  The model is
``insertion_index``; it is checked against real GNU sed running the program text rebuilt from
nixpkgs (tests/data/nixpkgs_wrap_python.bash).
"""

from __future__ import annotations

import re

from prefixlab.model.scripts.lines import ScriptError, first_line
from prefixlab.model.speedups import dataclass

# wrap.sh: `grep -q '#!.*/env.*\(python\|pypy\)'` then
# `sed -e "1 s^.*/env[ ]*\(python\|pypy\)[^ ]*^#!@executable@^"` on line 1.  POSIX takes the
# longest match; Python's greedy `.*` finds the last `/env`, whose `[^ ]*` run ends furthest.
_ENV_LINE = re.compile(rb"#!.*/env.*(python|pypy)")
_ENV_REWRITE = re.compile(rb".*/env *(?:python|pypy)[^ ]*")
# wrap.sh: `grep -q '/\.\?\(python\|pypy\)'` on line 1 decides whether a file is patched.
_PYTHON_LINE = re.compile(rb"/\.?(python|pypy)")

# The sed program's addresses (ERE; GNU `.` matches the newline that `N` puts in).
_CONTINUED = re.compile(rb"(\\|,)\Z")
_PASSED = re.compile(rb"__future__|\A |\A *(#.*)?\Z", re.S)


@dataclass(frozen=True, slots=True)
class _Quote:
    """One of the sed program's four string skippers (labels q1..q4)."""

    opens: re.Pattern[bytes]
    closed_at_once: re.Pattern[bytes]
    closes: re.Pattern[bytes]
    quote: bytes


def _skipper(quote: bytes) -> _Quote:
    q = re.escape(quote)
    # wrap-python.nix: single-character quotes must close after a non-backslash.
    end = q if len(quote) == 3 else rb"[^\\]" + q
    return _Quote(re.compile(rb"\A[a-z]?" + q), re.compile(q + q + rb"|" + q + rb".*" + end, re.S),
                  re.compile(end), quote)


_QUOTES = tuple(_skipper(q) for q in (b"'''", b'"""', b'"', b"'"))

# Characters that break wrap.sh before sed runs: $(readlink -f "$f") is unquoted (split and
# globbed), GNU sed reads escapes in `i` text, and program_PYTHONPATH is split at ':'.
_BAD_ARGV0 = re.compile(rb"[\s\\*?\[]")
_BAD_SITEDIR = re.compile(rb"[\n\\:]")


@dataclass(frozen=True, slots=True)
class NixWrap:
    """What wrapPythonPrograms is given for one script."""

    executable: str = "/nix/store/00000000000000000000000000000000-python3-3.12.8/bin/python3.12"
    """@executable@, the interpreter of the package set (python.interpreter)."""
    argv0: str = "/nix/store/11111111111111111111111111111111-foo-1.0/bin/foo"
    """`readlink -f` of the script when it is patched: the package's bin/NAME."""
    sitedirs: tuple[str, ...] = (
        "/nix/store/11111111111111111111111111111111-foo-1.0/lib/python3.12/site-packages",)
    """program_PYTHONPATH's entries, in order."""


@dataclass(frozen=True, slots=True)
class NixWrapped:
    """The `.NAME-wrapped` file wrapPythonPrograms leaves behind."""

    text: bytes
    preamble_line: int | None
    """0-based index of the preamble's line in ``text``; None when end of file came first."""


def preamble(wrap: NixWrap) -> bytes:
    """The preamble line as sed inserts it (without its newline): the five lines of
    wrap-python.nix joined by ';', trailing ';' included; paths are not escaped."""
    argv0 = _path(wrap.argv0, _BAD_ARGV0, "argv0")
    dirs = b",".join(b"'" + _path(d, _BAD_SITEDIR, "site directory") + b"'"
                     for d in wrap.sitedirs)
    return (b"import sys;import site;import functools;sys.argv[0] = '" + argv0
            + b"';functools.reduce(lambda k, p: site.addsitedir(p, k), [" + dirs
            + b"], site._init_pathinfo());")


def _path(value: str, bad: re.Pattern[bytes], what: str) -> bytes:
    raw = value.encode("utf-8", "surrogateescape")
    if not raw or bad.search(raw):
        raise ScriptError(f"{what} {value!r}: empty, or a character wrap.sh mangles "
                          "(blank, backslash, glob, ':' in a site directory)")
    return raw


def rewrite_line1(line: bytes, executable: str) -> bytes:
    """Line 1 after wrap.sh's `env` rewrite: everything up to and including `env python...`
    (the non-blank run after it: `python3.11`, but also a tab and what follows, or a CR)
    becomes `#!EXECUTABLE`."""
    exe = executable.encode("utf-8", "surrogateescape")
    if re.search(rb"[\n\\&^]", exe):
        raise ScriptError(f"executable {executable!r}: a character sed's s command mangles")
    body, newline = (line[:-1], b"\n") if line.endswith(b"\n") else (line, b"")
    if not _ENV_LINE.search(body):
        return line
    return _ENV_REWRITE.sub(lambda _: b"#!" + exe, body, count=1) + newline


def is_patched(line1: bytes) -> bool:
    """Does wrapPythonPrograms patch and wrap a file whose line 1 (after the rewrite) is this?
    Only when it names `/python`, `/.python` or `/pypy` (so `#!/bin/sh` trampolines are not)."""
    return _PYTHON_LINE.search(line1.rstrip(b"\n")) is not None


def insertion_index(lines: list[bytes]) -> int | None:
    """The 0-based line before which the sed program inserts the preamble, or None when end
    of file comes first.  ``lines`` are the script's lines without their ``\\n``."""
    start = last = 0
    space = lines[0]
    while True:
        if _CONTINUED.search(space):  # N
            if last + 1 >= len(lines):
                return None
            last += 1
            space += b"\n" + lines[last]
            continue
        if _PASSED.search(space) is None:
            quote = next((q for q in _QUOTES if q.opens.match(space)), None)
            if quote is None:
                return start  # i: before the pattern space
            last = _skip_string(quote, lines, last, space)
            if last < 0:
                return None
        if last + 1 >= len(lines):  # n at end of file
            return None
        start = last = last + 1
        space = lines[start]


def _skip_string(quote: _Quote, lines: list[bytes], last: int, space: bytes) -> int:
    """The index of the line closing the string opened in ``space`` (-1: end of file)."""
    if quote.closed_at_once.search(space):
        return last
    while True:
        last += 1
        if last >= len(lines):
            return -1
        if lines[last].startswith(quote.quote) or quote.closes.search(lines[last]):
            return last


def wrap_python_programs(script: bytes, wrap: NixWrap = NixWrap()) -> NixWrapped | None:
    """The `.NAME-wrapped` file for ``script``, or None when wrapPythonPrograms leaves the
    file alone (line 1 names no python)."""
    line, rest = first_line(script)
    line = rewrite_line1(line, wrap.executable)
    if not is_patched(line):
        return None
    text = line + rest
    lines = text.split(b"\n")
    if text.endswith(b"\n"):
        lines.pop()
    at = insertion_index(lines)
    if at is None:
        return NixWrapped(text, None)
    before = b"".join(piece + b"\n" for piece in lines[:at])
    return NixWrapped(before + preamble(wrap) + b"\n" + text[len(before):], at)

