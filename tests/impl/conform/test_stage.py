"""stage: a placement made on disk under ROOT, op by op, as placement.py documents each op.

The expected tree is computed from the ops alone (a directory per mkdir and its ancestors,
one link per link with its text and ``{root}`` filled in, the text written, the source's
bytes copied, one absolute link per entry of a link-entries source) and compared with
``os.walk`` of what was made: nothing missing, nothing more.  The bases are the real
interpreters found here (impl/conform/bases.py), so copies and link entries have real
sources.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import require_oracle
from support.staging import BASES, SETTINGS, disk_tree, staged_cases
from prefixlab.impl.conform import stage
from prefixlab.impl.conform.builders import check_template
from prefixlab.model.conform.case import Builder, Case
from prefixlab.model.conform.placement import (
    PLACEMENTS, Base, BuildVenv, CopyFile, Link, LinkEntries, MakeDir, Placement,
    Wrap, WriteText)
from prefixlab.model.errors import PrefixlabError

pytestmark = pytest.mark.real

STAGED_ALONE = [n for n in PLACEMENTS if n not in ("venv-of-venv", "from-env")]
"""Names whose ops stage makes without running a builder or build env."""
BUILDER = Builder("cmd", ": {python}; mkdir -p {target}")


def staged_alone() -> st.SearchStrategy[Case]:
    return staged_cases(STAGED_ALONE, BUILDER)


@pytest.fixture
def root() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="stage root ") as where:
        yield os.path.realpath(where)


# -- what the ops say, computed from the ops ---------------------------------------------------
def _resolve(path: str, links: dict[str, str]) -> str:
    """``path`` (relative to ROOT) with a leading link below ROOT replaced by its target."""
    parts = path.split("/")
    for n in range(1, len(parts) + 1):
        head = "/".join(parts[:n])
        if head in links:
            return _resolve("/".join([links[head], *parts[n:]]), links)
    return path


def expected_tree(case: Case, root: str) -> dict[str, tuple[object, ...]]:
    """Relative path -> ('dir',) | ('link', text) | ('file', executable, bytes)."""
    tree: dict[str, tuple[object, ...]] = {}
    links: dict[str, str] = {}
    for op in case.placement.ops:
        at = _resolve(op.path, links)
        if isinstance(op, MakeDir):
            parts = at.split("/")
            for n in range(1, len(parts) + 1):
                tree.setdefault(_resolve("/".join(parts[:n]), links), ("dir",))
        elif isinstance(op, Link):
            text = op.text.replace("{root}", root)
            tree[at] = ("link", text)
            if not text.startswith("/"):
                links[op.path] = posixpath.normpath(posixpath.join(posixpath.dirname(op.path),
                                                                   text))
            elif text.startswith(root + "/"):
                links[op.path] = text[len(root) + 1:]
        elif isinstance(op, WriteText):
            tree[at] = ("file", op.executable, op.text.encode("utf-8"))
        elif isinstance(op, CopyFile):
            with open(op.source, "rb") as handle:
                tree[at] = ("file", True, handle.read())
        elif isinstance(op, LinkEntries):
            tree[at] = ("dir",)
            for name in os.listdir(op.source):
                tree[f"{at}/{name}"] = ("link", os.path.join(op.source, name))
        elif isinstance(op, Wrap):
            tree[at] = ("wrapper",)
        else:
            raise AssertionError(f"{op} is not staged alone")
    return tree



@SETTINGS
@given(staged_alone())
def test_stage_makes_exactly_what_the_ops_say(case: Case) -> None:
    with tempfile.TemporaryDirectory(prefix="stage root ") as where:
        root = os.path.realpath(where)
        staged = stage.stage(case, root, caller={"PATH": "/usr/bin:/bin"})
        made = disk_tree(root)
        expected = expected_tree(case, root)
        wrappers = [p for p, v in expected.items() if v == ("wrapper",)]
        for path in wrappers:
            assert made[path][:2] == ("file", True)
            made[path] = expected[path]
        assert made == expected
        assert staged.root == root
        assert staged.target == os.path.join(root, case.placement.target)
        assert not os.path.lexists(staged.target)
        assert staged.python == case.placement.python.replace("{root}", root)


def test_a_link_entries_op_links_every_entry_dotfiles_too(root: str) -> None:
    with tempfile.TemporaryDirectory() as source:
        for name in (".hidden", "a.py", "-dash", "sp ace", "ü"):
            with open(os.path.join(source, name), "w") as handle:
                handle.write(name)
        os.mkdir(os.path.join(source, "pkg"))
        base = Base("/nonexistent/bin/python3.12", "/nonexistent", (3, 12, 1))
        case = Case(BUILDER, base, Placement(("relocated",), (
            MakeDir("inst/lib"), LinkEntries("inst/lib/python3.12", source)), "python3", "venv"))
        stage.stage(case, root, caller={})
        at = os.path.join(root, "inst/lib/python3.12")
        assert sorted(os.listdir(at)) == sorted(os.listdir(source))
        for name in os.listdir(at):
            assert os.readlink(os.path.join(at, name)) == os.path.join(source, name)


# -- the builder's environment --------------------------------------------------------------------
NAMES = st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(NAMES | st.sampled_from(stage.DROPPED + ("PATH",)), st.text(
           st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8)),
       st.lists(st.sampled_from(["links/bin", "a b/bin", "/abs/bin", "{root}/r/bin"]),
                max_size=2),
       st.lists(st.tuples(NAMES, st.sampled_from(["v", "{root}/project", "x{root}y{root}"])),
                max_size=3))
def test_the_builder_environment(caller: dict[str, str], path: list[str],
                                 env: list[tuple[str, str]]) -> None:
    root = "/tmp/r o{o}t"
    base = Base("/usr/bin/python3.11", "/usr", (3, 11, 2))
    case = Case(BUILDER, base, Placement(("direct",), (), base.executable, "venv",
                                         tuple(path), tuple(env)))
    got = stage.builder_environ(case, root, caller)
    expected = {k: v for k, v in caller.items() if k not in stage.DROPPED}
    if path:
        front = [p.replace("{root}", root) if p.startswith(("/", "{root}")) else f"{root}/{p}"
                 for p in path]
        expected["PATH"] = ":".join([*front, caller.get("PATH", os.defpath)])
    for name, value in env:
        expected[name] = value.replace("{root}", root)
    assert got == expected
    assert caller == dict(caller)  # not changed in place


# -- failures ---------------------------------------------------------------------------------
def test_an_op_that_cannot_be_made_is_a_stage_error_of_one_line(root: str) -> None:
    base = Base("/nonexistent/bin/python3.12", "/nonexistent", (3, 12, 1))
    case = Case(BUILDER, base, Placement(("relocated",), (
        MakeDir("inst/bin"), CopyFile("inst/bin/python3.12", base.executable)), "x", "venv"))
    with pytest.raises(stage.StageError) as info:
        stage.stage(case, root, caller={})
    assert "\n" not in str(info.value)
    assert isinstance(info.value, PrefixlabError)


def test_an_outer_venv_the_builder_fails_on_is_refused(root: str) -> None:
    builder = check_template(": {python}; echo refusing >&2; exit 3 # {target}")
    base = Base("/usr/bin/python3.11", "/usr", (3, 11, 2))
    case = Case(builder, base, Placement(("venv-of-venv",), (
        BuildVenv("outer1", base.executable),), "{root}/outer1/bin/python", "venv",
        outer=("outer1",)))
    with pytest.raises(stage.Refused) as info:
        stage.stage(case, root, caller={"PATH": "/usr/bin:/bin"})
    assert info.value.run.status == 3
    assert b"refusing" in info.value.run.stderr
    assert not os.path.lexists(os.path.join(root, "outer1"))


@pytest.mark.parametrize("kind", ["make-wrapper", "make-binary-wrapper"])
def test_a_staged_wrapper_runs_its_interpreter(root: str, kind: str) -> None:
    """A wrapper placement's {python} is the wrapper: running it must run the interpreter
    (makeWrapper's script and makeBinaryWrapper's binary exec it with the arguments)."""
    require_oracle(bool(BASES), "no in-scope interpreter found here")
    if kind == "make-binary-wrapper":
        require_oracle(shutil.which("cc") is not None, "no C compiler (cc) here")
    base = BASES[-1]
    case = Case(BUILDER, base, Placement(("wrapper",), (
        MakeDir("wrap/bin"), Wrap("wrap/bin/python3", kind, base.executable)),
        "{root}/wrap/bin/python3", "venv"))
    staged = stage.stage(case, root, caller={"PATH": "/usr/bin:/bin"})
    done = subprocess.run([staged.python, "-c", "import sys; print(sys.version_info[:3])"],
                          capture_output=True, text=True, timeout=60, env={})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(base.version)
