"""posixpath's operations (prefixlab.model.paths.posix) judged by posixpath itself.

Hypothesis compares each function with the running interpreter's posixpath, the process's
answers (os.getcwd(), $HOME, the passwd entry) patched to the values the model is given.
Every in-scope interpreter here then computes the same operations over a fixed corpus (every
string of up to five characters from '/', '.', 'a', '~' and a few longer ones), so that the
results hold for each version the model covers, not only the one running the tests.
"""

from __future__ import annotations

import itertools
import json
import os
import posixpath
import subprocess
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.paths import posix

from conftest import in_scope_interpreters, interpreter_id

# Components that exercise every rule: empty ('//'), '.', '..', names, and '~' forms.
_PARTS = st.sampled_from(["", "", ".", "..", "a", "b", "~", "~a", ".a", "a."])
PATHS = st.one_of(
    st.lists(_PARTS, max_size=7).map("/".join),
    st.text(alphabet="/.a~", max_size=10),
)
CWDS = st.lists(st.sampled_from(["a", "b", "..a"]), max_size=3).map(
    lambda parts: "/" + "/".join(parts))
"""What os.getcwd() returns: absolute and normal, '/' included."""


@given(PATHS, st.lists(PATHS, max_size=3))
def test_join_is_posixpath_join(first: str, rest: list[str]) -> None:
    assert posix.join(first, *rest) == posixpath.join(first, *rest)


@given(PATHS)
def test_normpath_is_posixpath_normpath(path: str) -> None:
    assert posix.normpath(path) == posixpath.normpath(path)


@given(PATHS, CWDS)
def test_abspath_is_posixpath_abspath_in_that_directory(path: str, cwd: str) -> None:
    with mock.patch("os.getcwd", return_value=cwd):
        expected = posixpath.abspath(path)
    assert posix.abspath(path, cwd) == expected


def test_abspath_in_the_root_directory_adds_no_second_slash() -> None:
    """posixpath.join('/', 'a') is '/a': a relative entry made absolute in '/' must not
    start with the two slashes normpath would keep."""
    assert posix.abspath("a", "/") == "/a"
    assert posix.abspath("", "/") == "/"


@given(PATHS)
def test_dirname_and_basename_are_posixpath_s(path: str) -> None:
    assert posix.dirname(path) == posixpath.dirname(path)
    assert posix.basename(path) == posixpath.basename(path)


HOMES = st.text(alphabet="/a", max_size=5)
TILDE_PATHS = st.one_of(PATHS, PATHS.map(lambda p: "~/" + p), st.just("~"))


def _names_a_user(path: str) -> bool:
    """'~name...': posixpath asks the passwd database by name, which the model does not."""
    return path.startswith("~") and path != "~" and not path.startswith("~/")


@given(TILDE_PATHS, HOMES)
def test_expanduser_is_posixpath_expanduser_with_home_set(path: str, home: str) -> None:
    if _names_a_user(path):
        return
    with mock.patch.dict(os.environ, {"HOME": home}):
        expected = posixpath.expanduser(path)
    assert posix.expanduser(path, home) == expected


@given(TILDE_PATHS)
def test_expanduser_without_a_home_leaves_the_path(path: str) -> None:
    """HOME unset and no passwd entry for the uid: posixpath returns the path (bpo-10496)."""
    if _names_a_user(path):
        return
    environ = {k: v for k, v in os.environ.items() if k != "HOME"}
    with mock.patch.dict(os.environ, environ, clear=True), \
            mock.patch("pwd.getpwuid", side_effect=KeyError("no entry")):
        expected = posixpath.expanduser(path)
    assert posix.expanduser(path, None) == expected == path


def test_the_dialects_differ_where_getpath_differs() -> None:
    """posixpath and getpath's helpers disagree on purpose: the callers rely on each."""
    from prefixlab.model.paths import getpath

    assert (posix.normpath(""), getpath.normpath("")) == (".", "")
    assert (posix.normpath("a/.."), getpath.normpath("a/..")) == (".", "")
    assert (posix.dirname("/usr"), getpath.dirname("/usr")) == ("/", "")
    assert (posix.join("/usr", "lib/../bin"), getpath.joinpath("/usr", "lib/../bin")) == (
        "/usr/lib/../bin", "/usr/bin")


# == every interpreter here ======================================================================
CORPUS = sorted({"".join(chars) for size in range(6)
                 for chars in itertools.product("/.a~", repeat=size)}
                | {"/usr//lib/../bin/", "//a/./b", "///a/b/", "~/a//", "a/../../b"})
CORPUS_CWDS = ["/", "/a", "//a", "/a/b"]
HOME = "/h//"

WORKER = r"""
import json, os, posixpath, sys
corpus, cwds, home = json.load(sys.stdin)
os.environ["HOME"] = home
out = {}
for p in corpus:
    row = [posixpath.normpath(p), posixpath.dirname(p), posixpath.basename(p),
           posixpath.join(p, p[::-1]), posixpath.expanduser(p)]
    for cwd in cwds:
        os.getcwd = lambda: cwd
        row.append(posixpath.abspath(p))
    out[p] = row
json.dump(out, sys.stdout)
"""


def _model_row(path: str) -> list[str | None]:
    """The worker's row as the model computes it (None where it does not: '~name')."""
    expanded = None if _names_a_user(path) else posix.expanduser(path, HOME)
    row = [posix.normpath(path), posix.dirname(path), posix.basename(path),
           posix.join(path, path[::-1]), expanded]
    return row + [posix.abspath(path, cwd) for cwd in CORPUS_CWDS]


@pytest.mark.real
@pytest.mark.parametrize("interp", in_scope_interpreters(), ids=interpreter_id)
def test_every_interpreter_here_agrees_on_the_corpus(interp: Interpreter) -> None:
    done = subprocess.run([interp.real_path, "-I", "-S", "-c", WORKER], env={}, cwd="/",
                          input=json.dumps([CORPUS, CORPUS_CWDS, HOME]), capture_output=True,
                          text=True, timeout=60, check=True)
    real = json.loads(done.stdout)
    differ = []
    for path in CORPUS:
        model = _model_row(path)
        if model[4] is None:
            model[4] = real[path][4]
        if model != real[path]:
            differ.append((path, model, real[path]))
    assert not differ, differ[:5]
