"""importlib's path arithmetic (prefixlab.model.paths.importlib) judged by importlib itself.

Hypothesis compares each function with the running interpreter's
``importlib._bootstrap_external``.  ``_path_abspath`` exists from 3.12 only (the model uses
it for 3.12+ rows), so every in-scope interpreter here also computes the functions it has
over a fixed corpus: ``_path_join`` and ``_path_split`` everywhere, ``_path_abspath`` on
3.12+, with ``_os.getcwd`` (the posix module the bootstrap holds) answering the model's cwd.
"""

from __future__ import annotations

import itertools
import json
import subprocess
from importlib import _bootstrap_external  # type: ignore[attr-defined]
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.paths import importlib as paths_importlib
from prefixlab.model.paths import posix

from conftest import in_scope_interpreters, interpreter_id

PATHS = st.one_of(
    st.lists(st.sampled_from(["", "", ".", "..", "a", "b", ".a"]), max_size=6).map("/".join),
    st.text(alphabet="/.a", max_size=10),
)
CWDS = st.lists(st.sampled_from(["a", "b"]), max_size=3).map(lambda p: "/" + "/".join(p))


@given(st.lists(PATHS, max_size=4))
def test_path_join_is_bootstrap_path_join(parts: list[str]) -> None:
    assert paths_importlib.path_join(*parts) == _bootstrap_external._path_join(*parts)


@given(PATHS, PATHS)
def test_path_join2_is_path_join_of_two_parts(head: str, tail: str) -> None:
    assert paths_importlib.path_join2(head, tail) == paths_importlib.path_join(head, tail)


@given(PATHS)
def test_path_split_is_bootstrap_path_split(path: str) -> None:
    assert paths_importlib.path_split(path) == _bootstrap_external._path_split(path)


@pytest.mark.skipif(not hasattr(_bootstrap_external, "_path_abspath"),
                    reason="_bootstrap_external._path_abspath is 3.12+")
@given(PATHS, CWDS)
def test_path_abspath_is_bootstrap_path_abspath(path: str, cwd: str) -> None:
    with mock.patch.object(_bootstrap_external._os, "getcwd", return_value=cwd):
        expected = _bootstrap_external._path_abspath(path)
    assert paths_importlib.path_abspath(path, cwd) == expected


def test_the_dialect_is_not_posixpath() -> None:
    """importlib's join strips trailing slashes and never restarts at an absolute part;
    its split keeps the head's trailing slashes."""
    assert paths_importlib.path_join("/a/", "/b/") == "/a//b"
    assert posix.join("/a/", "/b/") == "/b/"
    assert paths_importlib.path_split("/a//b") == ("/a/", "b")
    assert paths_importlib.path_split("/b") == ("", "b")
    assert paths_importlib.path_abspath("./x", "/") == "/x"


# == every interpreter here ======================================================================
CORPUS = sorted({"".join(chars) for size in range(6)
                 for chars in itertools.product("/.a", repeat=size)})
CORPUS_CWDS = ["/", "/a", "/a/b"]

WORKER = r"""
import json, sys
from importlib import _bootstrap_external as be
corpus, cwds = json.load(sys.stdin)
out = {}
for p in corpus:
    row = [be._path_join(p, p[::-1]), be._path_join(p, "", p, "/"), list(be._path_split(p))]
    if hasattr(be, "_path_abspath"):
        for cwd in cwds:
            be._os.getcwd = lambda: cwd
            row.append(be._path_abspath(p))
    out[p] = row
json.dump(out, sys.stdout)
"""


def _model_row(path: str, abspath: bool) -> list[object]:
    m = paths_importlib
    row: list[object] = [m.path_join(path, path[::-1]), m.path_join(path, "", path, "/"),
                         list(m.path_split(path))]
    if abspath:
        row += [m.path_abspath(path, cwd) for cwd in CORPUS_CWDS]
    return row


@pytest.mark.real
@pytest.mark.parametrize("interp", in_scope_interpreters(), ids=interpreter_id)
def test_every_interpreter_here_agrees_on_the_corpus(interp: Interpreter) -> None:
    done = subprocess.run([interp.real_path, "-I", "-S", "-c", WORKER], env={}, cwd="/",
                          input=json.dumps([CORPUS, CORPUS_CWDS]), capture_output=True,
                          text=True, timeout=60, check=True)
    real = json.loads(done.stdout)
    assert interp.version is not None
    abspath = interp.version[:2] >= (3, 12)
    differ = [(p, _model_row(p, abspath), real[p]) for p in CORPUS
              if _model_row(p, abspath) != real[p]]
    assert not differ, differ[:5]
