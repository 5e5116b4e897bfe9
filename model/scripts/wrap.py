"""prefixlab's own script wrapper, and the unwrapper for its output and for nixpkgs'.

``wrap`` puts a one-line preamble (set ``sys.argv[0]``, add site directories) where the module
header ends (``pyheader``): after the docstring and every ``from __future__`` import, so the
wrapped script compiles whenever the original did, and its ``#!`` interpreter becomes the given
one.  ``unwrap`` undoes it exactly, and also undoes wrapPythonPrograms (``nixwrap``): it finds
the preamble where the wrapper that made it puts it, never by its line number, and refuses,
saying why, when the text is not something either wrapper produces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from prefixlab.model.scripts import nixwrap
from prefixlab.model.scripts.pyheader import header_end
from prefixlab.model.scripts.lines import ScriptError, first_line, parse_shebang, replace_interpreter
from prefixlab.model.speedups import dataclass
from prefixlab.model.trace import Step, rule

R_PREFIXLAB = rule(
    "script.prefixlab-preamble", "script",
    "prefixlab's wrapper puts its one-line preamble before the first statement that is neither "
    "the module docstring nor a `from __future__` import; the unwrapper looks there, and only "
    "there.",
    "CPython Python/future.c future_parse (docstring, then future imports); "
    "prefixlab.model.scripts.pyheader")
R_NIXPKGS = rule(
    "script.nixpkgs-preamble", "script",
    "wrapPythonPrograms' sed program inserts its preamble before the first line it does not "
    "skip (continuations, lines containing __future__, indented, blank and comment lines, "
    "strings opened with at most one lower-case prefix letter); the unwrapper runs the same "
    "scan and removes the line found there, never a fixed line number.",
    "nixpkgs wrap-python.nix magicalSedExpression, wrap.sh patchPythonScript; the line-3 rule "
    "of #297628 was reverted by #302385")
R_NIXPKGS_NONE = rule(
    "script.nixpkgs-no-preamble", "script",
    "wrapPythonPrograms' sed program reaches the end of the file before any line it would "
    "insert before (GNU sed's n and N end the script at end of input): there is no preamble.",
    "nixpkgs wrap-python.nix magicalSedExpression; GNU sed manual, commands n and N")
R_INTERPRETER = rule(
    "script.interpreter", "script",
    "Line 1's interpreter (the path after #!, or env and the command name together) is "
    "replaced; the blanks around it, its argument and the line ending stay.",
    "Linux fs/binfmt_script.c (an interpreter and one optional argument); env(1)")

MARK = b"  # prefixlab wrap: `prefixlab unwrap` removes this line"
_HEAD = b"import sys as _prefixlab_sys, site as _prefixlab_site; "
_OURS = re.compile(re.escape(_HEAD) + rb"[^\r\n]*" + re.escape(MARK))
_NIX = re.compile(rb"import sys;import site;import functools;sys\.argv\[0\] = '[^\n]*';"
                  rb"functools\.reduce\(lambda k, p: site\.addsitedir\(p, k\), \[[^\n]*\], "
                  rb"site\._init_pathinfo\(\)\);")
_ENDING = re.compile(rb"(\r\n|\r|\n)\Z")


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """An unwrapped script and how it was recognised."""

    text: bytes
    wrapper: str
    """'prefixlab', 'nixpkgs', or 'nixpkgs-no-preamble' (wrapPythonPrograms inserts none when
    the script ends before any code)."""
    line: int | None
    """The 1-based line of the preamble removed (None when there was none)."""
    steps: tuple[Step, ...] = ()


def preamble(argv0: str | None, sitedirs: Sequence[str]) -> bytes:
    """prefixlab's preamble line (without its line ending): pure ASCII, valid on every Python
    3, leaving no names behind."""
    body = [] if argv0 is None else [b"_prefixlab_sys.argv[0] = " + ascii(argv0).encode()]
    body.append(b"[_prefixlab_site.addsitedir(d) for d in " + ascii(list(sitedirs)).encode()
                + b"]")
    body.append(b"del _prefixlab_sys, _prefixlab_site")
    return _HEAD + b"; ".join(body) + MARK


def wrap(script: bytes, python: bytes, *, argv0: str | None = None,
         sitedirs: Sequence[str] = ()) -> bytes:
    """``script`` run by ``python``, with the preamble at the end of its module header."""
    check_interpreter(python)
    text = replace_interpreter(script, python)
    end = header_end(text)
    lines = list(end.lines)
    newline = _ending(lines[0]) or b"\n"
    line = preamble(argv0, sitedirs)
    if end.line == len(lines) and not _ending(lines[-1]):
        lines[-1] += newline  # appended after a last line without newline: marked by
        lines.append(line)    # the preamble having none either
    else:
        lines.insert(end.line, line + newline)
    return b"".join(lines)


def check_interpreter(python: bytes) -> None:
    """Raise ScriptError unless ``python`` can stand as a #! interpreter."""
    if not python or re.search(rb"[ \t\r\n]", python):
        shown = python.decode("utf-8", "backslashreplace")
        raise ScriptError(f"interpreter {shown!r}: empty, or with a blank or a newline, "
                          "which the kernel would split")


def _ending(line: bytes) -> bytes:
    found = _ENDING.search(line)
    return found.group() if found else b""


def unwrap(text: bytes, python: bytes) -> Unwrapped:
    """The script ``text`` was made from, with ``python`` as its interpreter.  Raises
    ScriptError, with the reason, when ``text`` is not a wrapped script."""
    # A line with prefixlab's marker where prefixlab wrap puts its preamble is taken as
    # prefixlab's, even when wrapPythonPrograms' scan, which can run past it (a comment
    # ending in a backslash joins the next line), also finds a nixpkgs preamble after it.
    check_interpreter(python)
    if parse_shebang(first_line(text)[0]) is None:
        raise ScriptError("line 1 is not a #! line: not a script a wrapper made")
    ours = _ours(text)
    nix = None if ours is not None else _nix(text)
    found = ours or nix
    if found is None:
        raise ScriptError(_not_wrapped(text))
    shown = python.decode("utf-8", "backslashreplace")
    interpreter = Step.of(R_INTERPRETER, "the #! interpreter becomes `{interpreter}`",
                          interpreter=shown)
    return Unwrapped(replace_interpreter(found.text, python), found.wrapper, found.line,
                     found.steps + (interpreter,))


def _ours(text: bytes) -> Unwrapped | None:
    try:
        end = header_end(text)
    except ScriptError:
        return None
    lines = list(end.lines)
    if end.line >= len(lines) or not _OURS.fullmatch(lines[end.line].rstrip(b"\r\n")):
        return None
    if end.line == len(lines) - 1 and not _ending(lines[-1]) and end.line > 0:
        lines[-2] = lines[-2][:-len(_ending(lines[-2]))]
    del lines[end.line]
    step = Step.of(R_PREFIXLAB, "the module header ends at line {line}: prefixlab's preamble "
                   "is there, removed", line=end.line + 1)
    return Unwrapped(b"".join(lines), "prefixlab", end.line + 1, (step,))


def _nix(text: bytes) -> Unwrapped | None:
    lines = _sed_lines(text)
    at = nixwrap.insertion_index(lines)
    if at is None:
        step = Step(R_NIXPKGS_NONE, "the sed program's scan reaches the end of the file")
        return Unwrapped(text, "nixpkgs-no-preamble", None, (step,))
    if not _NIX.fullmatch(lines[at]) or at + 1 >= len(lines):
        return None  # sed's i puts the preamble before a line, so one follows it
    start = sum(len(line) + 1 for line in lines[:at])
    step = Step.of(R_NIXPKGS, "the sed program's scan stops at line {line}: wrapPythonPrograms' "
                   "preamble is there, removed", line=at + 1)
    return Unwrapped(text[:start] + text[start + len(lines[at]) + 1:], "nixpkgs", at + 1,
                     (step,))


def _sed_lines(text: bytes) -> list[bytes]:
    lines = text.split(b"\n")
    if text.endswith(b"\n"):
        lines.pop()
    return lines


def _not_wrapped(text: bytes) -> str:
    lines = _sed_lines(text)
    at = nixwrap.insertion_index(lines)
    nix = f"line {at + 1} ({_excerpt(lines[at])})" if at is not None else "no line"
    try:
        end = header_end(text)
        mine = f"line {end.line + 1}" if end.line < len(end.lines) else "the end of the file"
    except ScriptError as error:
        mine = f"nowhere ({error})"
    return (f"not a wrapped script: wrapPythonPrograms puts its preamble at {nix}, which is "
            f"not one, and prefixlab wrap would put its own at {mine}, which is not one either")


def _excerpt(line: bytes) -> str:
    shown = line[:40].decode("utf-8", "backslashreplace")
    return repr(shown + ("..." if len(line) > 40 else ""))
