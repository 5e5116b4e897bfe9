"""Public Hypothesis strategies for Python scripts: the inputs of wrappers and unwrappers.

A generated :class:`Script` knows its parts, so a test can compute the right answer without
asking any wrapper: ``script.with_interpreter(b"/env/bin/python3")`` is the script with its
``#!`` interpreter replaced (``env`` and the command name together), everything else byte for
byte as generated.  The scripts cover what packagers meet: ``#!`` lines with and without an
argument or ``env`` and with odd spacing, encoding cookies, module docstrings in every quote
kind and prefix, ``__future__`` imports (parenthesized and backslash-continued ones too),
comments, blank lines, backslash and comma continuations, CR-LF and mixed line endings,
non-ASCII and non-UTF-8 text, no final newline, and user lines that look like a preamble.
Most scripts are valid Python; some blocks come in an order Python rejects (a ``__future__``
import after code), because wrappers meet those too.

Everything is built by construction and shrinks toward ``#!/usr/bin/python3`` and one
``import os``.

Example (checking your own unwrapper)::

    from hypothesis import given
    from prefixlab.model.strategies import nix_wrapped_scripts

    @given(nix_wrapped_scripts())
    def test_my_unwrapper(case):
        assert my_unwrap(case.text, b"/env/bin/python3") == \
            case.script.with_interpreter(b"/env/bin/python3")
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from prefixlab.model.scripts.nixwrap import NixWrap, wrap_python_programs
from prefixlab.model.speedups import dataclass
from prefixlab.model.strategies._checks import check_type

PYTHON_PATHS = (b"/usr/bin/python3", b"/usr/local/bin/python3.11", b"/usr/bin/python",
                b"/nix/store/00000000000000000000000000000000-python3-3.12.8/bin/python3.12",
                b"/opt/pypy3.10/bin/pypy3", b"/home/u/.venv/bin/python3.13",
                b"/usr/bin/.python-wrapped")
"""Interpreter paths that wrapPythonPrograms patches (they contain /python, /.python, /pypy)."""

ENV_NAMES = (b"python3", b"python", b"python3.12", b"pypy3", b"python3-dbg")
ENV_PATHS = (b"/usr/bin/env", b"/bin/env")
ARGUMENTS = (b" -u", b" -O", b" -Es", b"  -u", b" -u ", b" -X utf8", b" -W ignore", b" ")
"""What may follow the interpreter on line 1: one argument, odd spacing, a trailing blank."""

FEATURES = ("annotations", "division", "print_function", "absolute_import", "generators",
            "unicode_literals", "with_statement", "nested_scopes", "generator_stop")
"""``__future__`` features every CPython 3.8+ accepts (barry_as_FLUFL changes parsing)."""

NIX_PREAMBLE_LIKE = (
    b"import sys;import site;import functools;sys.argv[0] = '/nix/store/x-foo/bin/foo';"
    b"functools.reduce(lambda k, p: site.addsitedir(p, k), ['/nix/store/x-foo/lib'], "
    b"site._init_pathinfo());",
    b"import sys;import site",
    b"import sys;import site  # not a preamble",
    b"import sys;import site;import functools",
)
"""User lines shaped like nixpkgs' preamble (valid Python): an unwrapper must keep them."""


@dataclass(frozen=True)
class Script:
    """A generated script: line 1 is ``lead + interpreter + rest + ending``, then ``body``."""

    lead: bytes
    interpreter: bytes
    rest: bytes
    ending: bytes
    body: bytes
    features: tuple[str, ...] = ()
    """What the generator put in (for notes and statistics)."""

    @property
    def text(self) -> bytes:
        return self.lead + self.interpreter + self.rest + self.ending + self.body

    def with_interpreter(self, python: bytes) -> bytes:
        """The script as it should be after unwrapping for ``python``."""
        return self.lead + python + self.rest + self.ending + self.body


@dataclass(frozen=True)
class _Line1:
    lead: bytes
    interpreter: bytes
    rest: bytes


def _one_in(draw: st.DrawFn, n: int) -> bool:
    """True about once in ``n`` draws; shrinking turns the feature off."""
    return draw(st.integers(0, n - 1)) == n - 1


# -- line 1 -------------------------------------------------------------------------------------
# Strategies are built once at import, not per draw: Hypothesis validates every new strategy
# object, which made generation several times slower.
_LEADS = st.sampled_from([b"#!", b"#! ", b"#!\t", b"#!  "])
_PATHS = st.sampled_from(PYTHON_PATHS)
_PATH_RESTS = st.one_of(st.just(b""), st.sampled_from(ARGUMENTS + (b"\t-u",)))
_ENVS = st.sampled_from(ENV_PATHS)
_GAPS = st.sampled_from([b" ", b"  "])
_ANY_GAPS = st.sampled_from([b" ", b"  ", b"\t"])
_NAMES = st.sampled_from(ENV_NAMES)
_ENV_RESTS = st.one_of(st.just(b""), st.sampled_from(ARGUMENTS))
_ENV_LEADS = st.sampled_from([b"#!", b"#! "])
_ANY_ENV_RESTS = st.sampled_from((b"", b"\t-u", b" -u") + ARGUMENTS)


@st.composite
def _path_line1(draw: st.DrawFn, *, recoverable: bool) -> _Line1:
    """``#!/path/python3 [ARG]``: every byte survives wrapPythonPrograms."""
    lead = b"#!" if recoverable and draw(st.booleans()) else draw(_LEADS)
    return _Line1(lead, draw(_PATHS), draw(_PATH_RESTS))


@st.composite
def _env_line1(draw: st.DrawFn, *, recoverable: bool) -> _Line1:
    """``#!/usr/bin/env python3 [ARG]``.  Recoverable ones keep what wrapPythonPrograms'
    rewrite cannot delete: no blank after ``#!`` and a space (or nothing) after the name."""
    env = draw(_ENVS)
    gap = draw(_GAPS if recoverable else _ANY_GAPS)
    name = draw(_NAMES)
    if recoverable:
        return _Line1(b"#!", env + gap + name, draw(_ENV_RESTS))
    return _Line1(draw(_ENV_LEADS), env + gap + name, draw(_ANY_ENV_RESTS))


_ENV_OPTION_LINE1 = st.sampled_from([
    _Line1(b"#!", b"/usr/bin/env", b" -S python3 -u"),
    _Line1(b"#!", b"/usr/bin/env", b" -i python3"),
    _Line1(b"#!", b"/usr/bin/env", b" PYTHONUNBUFFERED=1 python3")])
"""``#!/usr/bin/env -S python3 -u`` and friends: env with options (not rewritten by
wrapPythonPrograms, and no plain interpreter to replace)."""


# -- body blocks: each a list of physical lines without endings ---------------------------------
_WORDS = (b"spam", b"eggs", b"x", b"Hello, world", b"it's", b'say "hi"', b"a  b", b"tab\there",
          b"50%", b"$HOME", b"*.py", b"#not-a-comment", b"__future__ words", b"trailing  ")
_WORD_LISTS = st.lists(st.sampled_from(_WORDS), min_size=0, max_size=3)


@st.composite
def _text(draw: st.DrawFn, quote: bytes, *, latin1: bool) -> bytes:
    """String content that cannot close ``quote`` early."""
    words = draw(_WORD_LISTS)
    text = b" ".join(w for w in words if quote[:1] not in w)
    if _one_in(draw, 6):
        text += "é".encode("latin-1" if latin1 else "utf-8")
    if _one_in(draw, 7):
        text += b"\\" + quote[:1]  # an escaped quote
    return text


@cache
def _texts(quote: bytes, latin1: bool) -> st.SearchStrategy[bytes]:
    return _text(quote, latin1=latin1)


@cache
def _inner_lines(quote: bytes, latin1: bool) -> st.SearchStrategy[list[bytes]]:
    """Lines inside a triple-quoted docstring, a preamble look-alike among them."""
    return st.lists(st.one_of(_texts(quote, latin1), st.just(NIX_PREAMBLE_LIKE[0])),
                    min_size=1, max_size=3)


_PREFIXES = st.sampled_from([b"", b"", b"r", b"u", b"R", b"U", b"b", b"f", b"rb", b"Rb", b"fr"])
_QUOTES = st.sampled_from([b'"""', b"'''", b'"', b"'"])


@st.composite
def _docstring(draw: st.DrawFn, *, latin1: bool) -> list[bytes]:
    prefix = draw(_PREFIXES)
    quote = draw(_QUOTES)
    first = draw(_texts(quote, latin1))
    shape = draw(st.integers(0, 3))
    if len(quote) == 3 and shape >= 2:
        more = draw(_inner_lines(quote, latin1))
        last = b"" if shape == 2 else draw(_texts(quote, latin1))
        return [prefix + quote + first, *more, last + quote]
    if len(quote) == 1 and shape == 3:  # a backslash-newline inside the string
        return [prefix + quote + first + b"\\", b"continued" + quote]
    if shape == 1:
        return [prefix + quote + quote]
    return [prefix + quote + first + quote]


@st.composite
def _maybe_parenthesized(draw: st.DrawFn, *, latin1: bool) -> list[bytes]:
    """``("doc")`` is a docstring too (sed does not skip it: it starts with a bracket)."""
    lines = draw(_docstring(latin1=latin1))
    if _one_in(draw, 8):
        return [b"(" + lines[0], *lines[1:-1], lines[-1] + b")"] if len(lines) > 1 \
            else [b"(" + lines[0] + b")"]
    return lines


@cache
def _docstrings(latin1: bool) -> st.SearchStrategy[list[bytes]]:
    return _maybe_parenthesized(latin1=latin1)


_FEATURE_LISTS = st.lists(st.sampled_from(FEATURES), min_size=1, max_size=3, unique=True)


@st.composite
def _future(draw: st.DrawFn) -> list[bytes]:
    encoded = [n.encode() for n in draw(_FEATURE_LISTS)]
    shape = draw(st.integers(0, 4))
    if shape == 1:  # parenthesized, one per line (nixpkgs #40427)
        return [b"from __future__ import (", *(b"    " + n + b"," for n in encoded), b")"]
    if shape == 2 and len(encoded) > 1:  # parenthesized, comma continuation
        return [b"from __future__ import (" + encoded[0] + b",",
                *(b"    " + n + b"," for n in encoded[1:-1]), b"    " + encoded[-1] + b")"]
    if shape == 3 and len(encoded) > 1:  # backslash continuation
        return [b"from __future__ import " + encoded[0] + b", \\",
                b"    " + b", ".join(encoded[1:])]
    if shape == 4:
        return [b"from __future__ import " + b", ".join(encoded) + b"  # why"]
    return [b"from __future__ import " + b", ".join(encoded)]


_FUTURES = _future()
_CODE = (
    [b"import os"], [b"import sys"], [b"import os, \\", b"    sys"],
    [b"x = (1,", b"     2)"], [b"y = [", b"    1,", b"]"], [b'print("hi")'],
    [b"if True:", b"    pass"], [b"def f():", b"    return 1"], [b"z = 1  # a, b,"],
    [b's = """multi', b'line"""'], [b"t = '''", b"'''"], [b"w = 'a' \\", b"    'b'"],
    [b"  # indented comment"], [b"def g(a,", b"      b):", b"    return a"],
    [b"class C:", b"    '''doc'''"], [b"v = 1   "], [b"u = 'x' ;  w = 2"],
    [b'R"""not a docstring"""'], [b"import re, sys; print(re, sys)"],
    [b"if True:", b"    " + NIX_PREAMBLE_LIKE[0]],
    [b"long = '" + b"0123456789abcdef" * 300 + b"'"],  # longer than 4 KiB line buffers
)
_CODES = st.sampled_from(_CODE)
_LOOKALIKES = st.sampled_from(NIX_PREAMBLE_LIKE)


@st.composite
def _code(draw: st.DrawFn, *, latin1: bool) -> list[bytes]:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return [draw(_LOOKALIKES)]
    if kind == 1:
        return [b"name = '" + draw(_texts(b"'", latin1)) + b"'"]
    return list(draw(_CODES))


_LICENSE = [b"#"] + [b"# Licence line %d: a long header pushes code far down." % n
                     for n in range(1, 13)] + [b"#"]
_FILLER = st.sampled_from([[b""], [b"# comment"], [b"#"], [b"   "], [b"\t"], [b"\x0c"],
                           [b"# ends with a backslash \\"], [b"# ends with a comma,"],
                           [b"#!/not/a/shebang"], [b"# -*- coding: utf-8 -*- (too late)"],
                           [b"# " + NIX_PREAMBLE_LIKE[0]], _LICENSE,
                           # characters str.splitlines() breaks at (Python does not): form
                           # feed, VT, FS, NEL and U+2028 (UTF-8)
                           [b"# odd breaks:\x0c\x0b\x1c\xc2\x85\xe2\x80\xa8 end"]])
"""Comments and blank lines, including ones sed or a careless unwrapper mistakes."""
_FILLERS = st.lists(_FILLER, max_size=3)
_MAYBE_FILLER = st.lists(_FILLER, max_size=1)
_COOKIES = st.sampled_from([b"# -*- coding: utf-8 -*-", b"# coding=utf-8",
                            b"# vim: set fileencoding=utf-8 :"])


@cache
def _code_lists(latin1: bool) -> st.SearchStrategy[list[list[bytes]]]:
    return st.lists(st.one_of(_code(latin1=latin1), _FILLER), min_size=0, max_size=5)


# -- whole scripts ------------------------------------------------------------------------------
@st.composite
def _body_lines(draw: st.DrawFn, *, latin1: bool) -> tuple[list[bytes], tuple[str, ...]]:
    lines: list[bytes] = []
    features: list[str] = []
    if latin1:
        lines.append(b"# -*- coding: latin-1 -*-")
        features.append("cookie-latin1")
    elif _one_in(draw, 4):
        lines.append(draw(_COOKIES))
        features.append("cookie")
    header = draw(_FILLERS)
    if draw(st.booleans()):
        header.append(draw(_docstrings(latin1)))
        features.append("docstring")
    for _ in range(draw(st.integers(0, 2))):
        header.extend(draw(_MAYBE_FILLER))
        header.append(draw(_FUTURES))
        features.append("future")
    blocks = header + draw(_code_lists(latin1))
    if _one_in(draw, 10):
        blocks = draw(st.permutations(blocks))  # an order Python may reject
        features.append("shuffled")
    for block in blocks:
        lines.extend(block)
    return lines, tuple(features)


@cache
def _bodies(latin1: bool) -> st.SearchStrategy[tuple[list[bytes], tuple[str, ...]]]:
    return _body_lines(latin1=latin1)


_STYLES = st.sampled_from(["lf", "lf", "crlf", "mixed"])
_ENDINGS = st.sampled_from([b"\n", b"\r\n"])


@st.composite
def _join(draw: st.DrawFn, lines: list[bytes]) -> tuple[bytes, bytes]:
    """(line 1's ending, the body): LF, CR-LF or mixed endings; maybe no final newline."""
    style = draw(_STYLES)

    def ending() -> bytes:
        if style == "mixed":
            return draw(_ENDINGS)
        return b"\r\n" if style == "crlf" else b"\n"

    first = ending()
    parts = [line + ending() for line in lines]
    if parts and _one_in(draw, 5):  # no final newline
        parts[-1] = parts[-1].rstrip(b"\r\n")
    return first, b"".join(parts)


_ANY_LINE1 = st.one_of(_path_line1(recoverable=False), _env_line1(recoverable=False),
                       _ENV_OPTION_LINE1)
_PLAIN_LINE1 = st.one_of(_path_line1(recoverable=False), _env_line1(recoverable=False))


def python_scripts(*, env_options: bool = True) -> st.SearchStrategy[Script]:
    """Any Python script with a ``#!`` line (see the module docstring); ``env_options=False``
    leaves out ``#!/usr/bin/env -S python3 -u`` and the like, which have no interpreter path
    to replace.  Shrinks toward ``#!/usr/bin/python3`` and ``import os``."""
    check_type(bool, env_options, "env_options")
    return _python_scripts(_ANY_LINE1 if env_options else _PLAIN_LINE1)


@st.composite
def _python_scripts(draw: st.DrawFn, line1: st.SearchStrategy[_Line1]) -> Script:
    """A script whose line 1 is drawn from ``line1``."""
    first = draw(line1)
    latin1 = _one_in(draw, 8)
    lines, features = draw(_bodies(latin1))
    ending, body = draw(_join(lines))
    if not body and draw(st.booleans()):
        ending = b""  # the whole script is line 1, without a newline
    return Script(first.lead, first.interpreter, first.rest, ending, body, features)


_SITEDIRS = tuple("/nix/store/%s-%s/lib/python3.12/site-packages" % (c * 32, name)
                  for c, name in (("1", "foo-1.0"), ("2", "requests-2.32.3"),
                                  ("3", "urllib3-2.2.2")))


def nix_wraps() -> st.SearchStrategy[NixWrap]:
    """What wrapPythonPrograms is given besides the script: a package with no dependencies
    (``[]``) or several, as store paths."""
    return st.builds(NixWrap, sitedirs=st.integers(0, 3).map(lambda n: _SITEDIRS[:n]))


_RECOVERABLE_LINE1 = st.one_of(_path_line1(recoverable=True), _env_line1(recoverable=True))


def nix_wrappable_scripts() -> st.SearchStrategy[Script]:
    """Scripts wrapPythonPrograms patches (line 1 names a python) and whose line 1 its
    rewrite keeps recoverable: for ``env`` no blank after ``#!``, a space after the command
    name, and an argument when line 1 ends in CR-LF (the rewrite's ``[^ ]*`` would swallow
    a tab, or the CR of a bare ``#!/usr/bin/env python3``).  What fuzz-unwrap feeds to an
    unwrapper: every one of them has one right answer."""
    return _python_scripts(_RECOVERABLE_LINE1).filter(_keeps_cr)


def _keeps_cr(script: Script) -> bool:
    # An env line without argument loses a CR-LF's CR to the rewrite; rare, so filtered.
    return not (b"/env" in script.interpreter and script.ending == b"\r\n" and not script.rest)


@dataclass(frozen=True)
class WrappedScript:
    """A generated script and its `.NAME-wrapped` file as wrapPythonPrograms leaves it (made
    by prefixlab.model.scripts.nixwrap, which is checked against GNU sed running nixpkgs' program)."""

    script: Script
    wrap: NixWrap
    text: bytes


@st.composite
def nix_wrapped_scripts(draw: st.DrawFn) -> WrappedScript:
    """Inputs for an unwrapper under test, with their right answers:
    ``case.script.with_interpreter(P)`` is what unwrapping ``case.text`` for P must give."""
    script, wrap = draw(nix_wrappable_scripts()), draw(nix_wraps())
    wrapped = wrap_python_programs(script.text, wrap)
    assert wrapped is not None, "nix_wrappable_scripts made a script that is not patched"
    return WrappedScript(script, wrap, wrapped.text)
