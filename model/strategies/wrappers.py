"""Hypothesis strategies for makeWrapper / makeBinaryWrapper flag lists.

Values are drawn to be hard on generators and parsers: spaces, both quote kinds, ``$``, glob
characters, backslashes, newlines, separators with empty components (``a::b``, a leading or
trailing ``:``) and bytes that are not UTF-8 (lone surrogates, as CPython decodes them).  They
shrink toward short plain words and few flags.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from prefixlab.model.strategies._checks import check_at_least, check_strings, check_type

_TRICKY = [" ", "'", '"', "$", "*", "?", "[", "\\", "\n", "\t", ":", "=", "~", "{", "}", ",",
           "é", "\udcff", "\udc80", "-", "/", ";", "`", "#"]

VALUE = st.text(st.sampled_from(["a", "b", "x", *_TRICKY]), max_size=8)
"""Any value a flag may carry."""
WORD = st.text(st.sampled_from(["a", "b", "x", "/", "-", "é", "\udcff", "'", '"']), min_size=1,
               max_size=6)
"""A value without blanks (for argv[0] and words)."""
NAMES = st.sampled_from(["FOO", "BAR", "PATH", "XDG_DATA_DIRS", "PYTHONPATH", "EMPTY"])
"""Variable names: PATH and friends, and EMPTY (set to '' in the environment the tests use)."""
SEPARATORS = st.sampled_from([":", ":", ";", " ", "::", ""])


def _list_value() -> st.SearchStrategy[str]:
    component = st.lists(st.sampled_from(["a", "b", "/p", " ", "$", "'", "\udcff"]),
                         max_size=3).map("".join)
    return st.lists(component, max_size=4).map(":".join)


def flag_lists(*, dirs: Sequence[str] = ("/",), binary: bool = False,
               max_flags: int = 6) -> st.SearchStrategy[list[str]]:
    """A makeWrapper (or, with ``binary``, makeCWrapper) flag list of up to ``max_flags``
    flags, flattened.

    ``dirs`` (a non-empty list or tuple) are the directories --chdir may name (they must
    exist where the wrapper runs).  Shrinks toward no flags.
    """
    check_strings(dirs, "dirs")
    check_type(bool, binary, "binary")
    check_at_least(max_flags, "max_flags", 0)
    return _flag_lists(tuple(dirs), binary, max_flags)


@st.composite
def _flag_lists(draw: st.DrawFn, dirs: tuple[str, ...], binary: bool,
                max_flags: int) -> list[str]:
    out: list[str] = []
    kinds = ["--set", "--set-default", "--unset", "--prefix", "--suffix", "--chdir",
             "--add-flags", "--append-flags", "--add-flag", "--append-flag", "--argv0",
             "--inherit-argv0", "--resolve-argv0"]
    if not binary:
        kinds += ["--prefix-each", "--suffix-each"]
    for _ in range(draw(st.integers(0, max_flags))):
        kind = draw(st.sampled_from(kinds))
        if kind in ("--set", "--set-default"):
            out += [kind, draw(NAMES), draw(VALUE)]
        elif kind == "--unset":
            out += [kind, draw(NAMES)]
        elif kind in ("--prefix", "--suffix"):
            out += [kind, draw(NAMES), draw(SEPARATORS), draw(_list_value() | VALUE)]
        elif kind in ("--prefix-each", "--suffix-each"):
            # the value list is split on blanks when the wrapper is generated (and globbed
            # then too, so no glob characters here)
            values = st.lists(_list_value().filter(lambda v: not set(v) & set("*?[")),
                              max_size=3).map(" ".join)
            out += [kind, draw(NAMES), draw(SEPARATORS), draw(values)]
        elif kind == "--chdir":
            out += [kind, draw(st.sampled_from(list(dirs)))]
        elif kind in ("--add-flags", "--append-flags"):
            out += [kind, draw(st.lists(WORD, max_size=3).map(" ".join) | VALUE)]
        elif kind in ("--add-flag", "--append-flag"):
            out += [kind, draw(VALUE)]
        elif kind == "--argv0":
            out += [kind, draw(WORD | VALUE)]
        else:
            out.append(kind)
    return out


Layer = tuple[str, tuple[str, ...]]
"""One hop of an exec chain, outermost last: ('shell', flags), ('binary', flags), ('link', ()),
('script', (argument,)) for a ``#!`` script whose interpreter is the previous hop, or
('wrap-program', flags) for wrapProgram (the file moved to .NAME-wrapped, --inherit-argv0)."""


def exec_chains(*, dirs: Sequence[str] = ("/",), max_layers: int = 4,
                max_binary: int = 1) -> st.SearchStrategy[list[Layer]]:
    """One to ``max_layers`` layers to build around a program, innermost first: wrappers of
    wrappers, links to them, scripts interpreted by them.  At most ``max_binary`` compiled
    wrappers (compiling is slow); ``dirs`` as for :func:`flag_lists`.  Shrinks toward one
    plain shell wrapper."""
    check_strings(dirs, "dirs")
    check_at_least(max_layers, "max_layers", 1)
    check_at_least(max_binary, "max_binary", 0)
    return _exec_chains(tuple(dirs), max_layers, max_binary)


@st.composite
def _exec_chains(draw: st.DrawFn, dirs: tuple[str, ...], max_layers: int,
                 max_binary: int) -> list[Layer]:
    layers: list[Layer] = []
    binaries = 0
    for _ in range(draw(st.integers(1, max_layers))):
        kinds = ["shell", "link", "script", "wrap-program"]
        if binaries < max_binary:
            kinds.append("binary")
        kind = draw(st.sampled_from(kinds))
        if kind == "binary":
            binaries += 1
        if kind in ("shell", "binary", "wrap-program"):
            flags = draw(_flag_lists(dirs, kind == "binary", 3))
            layers.append((kind, tuple(flags)))
        elif kind == "script":
            layers.append((kind, (draw(st.sampled_from(["", "-x", "a b"])),)))
        else:
            layers.append((kind, ()))
    return layers
