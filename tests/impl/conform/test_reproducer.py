"""reproducer: a case as a /bin/sh script.  What the script makes is what stage makes.

The script picks its ROOT with ``mktemp -d``; here a ``mktemp`` first on PATH answers with a
directory of the test's, so the script runs unchanged.  The builder is a template that makes
the target and records what it was given ({python}, PATH, the pyenv variables), run by
stage.run_builder on the staged side.  Both trees are walked (names, kinds, link texts, file
contents and executable bits, ROOT written as ``{root}``) and must be equal.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import require_oracle
from support.staging import BASES, SETTINGS, Tree, disk_tree, staged_cases
from prefixlab.impl.conform import reproducer, stage
from prefixlab.impl.conform.builders import check_template
from prefixlab.model.conform.case import Case
from prefixlab.model.conform.placement import (
    PLACEMENTS, Base, BuildVenv, Link, LinkEntries, MakeDir, Placement, Wrap)

pytestmark = pytest.mark.real

STAGED_ALONE = [n for n in PLACEMENTS if n != "from-env"]
"""Every name but from-env (its ops run prefixlab's build env): an outer venv is made by
BUILDER, a template cheap enough to run here."""
BUILDER = check_template(
    "mkdir -p {target} && printf '%s\\n' {python} \"$PATH\" \"${PYENV_VERSION-unset}\" "
    "\"${PYENV_DIR-unset}\" > {target}/builder-saw")


def staged_alone() -> st.SearchStrategy[Case]:
    return staged_cases(STAGED_ALONE, BUILDER)


def walk(root: str) -> Tree:
    return disk_tree(root, mark_root=True)


@contextmanager
def two_roots(odd: str = "") -> Iterator[tuple[str, str, dict[str, str]]]:
    """A root for stage, one for the script (their names holding ``odd``), and the
    environment both run with (a mktemp first on PATH that answers the script's root)."""
    with tempfile.TemporaryDirectory(prefix="conform case ") as top:
        top = os.path.realpath(top)
        staged, scripted, fake = (os.path.join(top, odd + n)
                                  for n in ("staged", "script", "bin"))
        for d in (staged, scripted, fake):
            os.mkdir(d)
        with open(os.path.join(fake, "mktemp"), "w") as handle:
            handle.write(f"#!/bin/sh\nprintf '%s\\n' {shlex.quote(scripted)}\n")
        os.chmod(os.path.join(fake, "mktemp"), 0o755)
        yield staged, scripted, {"PATH": f"{fake}:/usr/bin:/bin", "LC_ALL": "C.UTF-8",
                                 "HOME": top}


def run_script(case: Case, environ: dict[str, str], cwd: str, text: str | None = None
               ) -> subprocess.CompletedProcess[str]:
    """The reproducer of ``case`` (or ``text``, a script made of it) run with /bin/sh."""
    path = os.path.join(cwd, "reproduce.sh")
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write(reproducer.script(case) if text is None else text)
    return subprocess.run(["/bin/sh", path], capture_output=True, text=True, timeout=120,
                          env=environ, cwd=cwd)


def made_both_ways(case: Case, odd: str = "") -> tuple[dict[str, tuple[object, ...]],
                                                      dict[str, tuple[object, ...]]]:
    with two_roots(odd) as (staged_root, script_root, environ):
        staged = stage.stage(case, staged_root, caller=environ)
        _, run = stage.run_builder(case, staged.python, staged.target, staged.environ,
                                   staged_root, case.system_site)
        assert run.status == 0, run.stderr
        done = run_script(case, environ, os.path.dirname(staged_root))
        assert f"case directory: {script_root}\n" in done.stdout, done.stderr
        assert "builder-saw" in os.listdir(os.path.join(script_root, case.placement.target)), \
            done.stderr
        return walk(staged_root), walk(script_root)


@SETTINGS
@given(staged_alone())
def test_the_script_makes_what_stage_makes(case: Case) -> None:
    by_stage, by_script = made_both_ways(case)
    assert by_script == by_stage


def test_an_outer_venv_is_built_in_the_builder_s_environment() -> None:
    """stage runs every builder, outer venvs' too, with the placement's PATH and variables
    (stage.py's docstring); the script must as well."""
    require_oracle(bool(BASES), "no in-scope interpreter found here")
    base = BASES[-1]
    case = Case(BUILDER, base, Placement(("bare-name", "venv-of-venv"), (
        BuildVenv("outer1", base.executable), MakeDir("links/bin"),
        Link("links/bin/python3", "{root}/outer1/bin/python")), "python3", "venv",
        ("links/bin",), (("PYENV_VERSION", "{root}"),), ("outer1",)))
    by_stage, by_script = made_both_ways(case)
    assert by_script["outer1/builder-saw"] == by_stage["outer1/builder-saw"]
    assert by_script == by_stage


def test_the_script_is_sh() -> None:
    require_oracle(bool(BASES), "no in-scope interpreter found here")
    base = BASES[0]
    case = Case(BUILDER, base, Placement(("direct",), (), base.executable, "venv"))
    text = reproducer.script(case)
    assert text.startswith("#!/bin/sh\n")
    assert subprocess.run(["/bin/sh", "-n", "-c", text]).returncode == 0


@pytest.mark.parametrize("entries", [(".hidden", "a.py", "-dash", "sp ace", "ü", "*"),
                                     ("..dots", ".a"), ()],
                         ids=["dotfiles", "dots only", "empty"])
def test_link_entries_the_same_both_ways(entries: tuple[str, ...]) -> None:
    """One link per entry of the source, whatever its name (placement.py: "one absolute link
    per entry of ``source``")."""
    with tempfile.TemporaryDirectory(prefix="std lib ") as source:
        for name in entries:
            with open(os.path.join(source, name), "w") as handle:
                handle.write(name)
        base = Base("/nonexistent/bin/python3.12", "/nonexistent", (3, 12, 1))
        case = Case(BUILDER, base, Placement(("relocated",), (
            MakeDir("inst/lib"), LinkEntries("inst/lib/python3.12", source)),
            "/bin/true", "venv"))
        by_stage, by_script = made_both_ways(case)
        assert by_script == by_stage
        linked = {k for k in by_stage if k.startswith("inst/lib/python3.12/")}
        assert linked == {f"inst/lib/python3.12/{n}" for n in entries}


@pytest.mark.parametrize("kind", ["make-wrapper", "make-binary-wrapper"])
def test_a_scripted_wrapper_runs_its_interpreter(kind: str) -> None:
    require_oracle(bool(BASES), "no in-scope interpreter found here")
    if kind == "make-binary-wrapper":
        require_oracle(shutil.which("cc") is not None, "no C compiler (cc) here")
    base = BASES[-1]
    case = Case(BUILDER, base, Placement(("wrapper",), (
        MakeDir("wrap/bin"), Wrap("wrap/bin/python3", kind, base.executable)),
        "{root}/wrap/bin/python3", "venv"))
    with two_roots() as (_, script_root, environ):
        run_script(case, environ, script_root)
        done = subprocess.run([os.path.join(script_root, "wrap/bin/python3"), "-c",
                               "import sys; print(sys.version_info[:3])"],
                              capture_output=True, text=True, timeout=60, env={})
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == str(base.version)


RUNS = ["a b", "ü", "it's", "a&b", "a|b", "a\\b", "a#b"]
"""Roots a wrapper runs from: makeWrapper's exec line double-quotes the target, so a root
holding $, ` or " is read by the wrapper's shell (nixpkgs' own text, kept byte for byte)."""


@pytest.mark.parametrize("odd", [*RUNS, 'a"b', "a$b", "a`b`"])
def test_a_root_of_any_name_makes_the_same_wrapper(odd: str) -> None:
    """mktemp -d honours TMPDIR, so ROOT may hold any character: the script writes it into
    a wrapper as stage does."""
    require_oracle(bool(BASES), "no in-scope interpreter found here")
    base = BASES[-1]
    case = Case(BUILDER, base, Placement(("exe-link", "wrapper"), (
        MakeDir("links/bin"), Link("links/bin/python3", base.executable),
        MakeDir("wrap/bin"), Wrap("wrap/bin/python3", "make-wrapper", "{root}/links/bin/python3")),
        "{root}/wrap/bin/python3", "venv"))
    with two_roots(odd) as (staged_root, script_root, environ):
        staged = stage.stage(case, staged_root, caller=environ)
        stage.run_builder(case, staged.python, staged.target, staged.environ, staged_root)
        run_script(case, environ, os.path.dirname(staged_root))
        assert walk(script_root) == walk(staged_root)
        if odd in RUNS:
            done = subprocess.run([os.path.join(script_root, "wrap/bin/python3"), "-c",
                                   "import sys; print(sys.version_info[:3])"],
                                  capture_output=True, text=True, timeout=60, env={})
            assert (done.returncode, done.stdout.strip()) == (0, str(base.version)), done.stderr


@pytest.mark.parametrize("odd", ['a"b', "a\\b", "a&b", "a|b", "a b"])
def test_a_binary_wrapper_holds_a_root_of_any_name(odd: str) -> None:
    """makeBinaryWrapper bakes its target into a C string: ROOT goes in escaped for C (and
    for the sed that splices it), so the wrapper runs its interpreter wherever ROOT is."""
    require_oracle(bool(BASES), "no in-scope interpreter found here")
    require_oracle(shutil.which("cc") is not None, "no C compiler (cc) here")
    base = BASES[-1]
    case = Case(BUILDER, base, Placement(("exe-link", "wrapper"), (
        MakeDir("links/bin"), Link("links/bin/python3", base.executable),
        MakeDir("wrap/bin"),
        Wrap("wrap/bin/python3", "make-binary-wrapper", "{root}/links/bin/python3")),
        "{root}/wrap/bin/python3", "venv"))
    with two_roots(odd) as (_, script_root, environ):
        done = run_script(case, environ, os.path.dirname(script_root))
        wrapper = os.path.join(script_root, "wrap/bin/python3")
        assert os.path.exists(wrapper), done.stderr
        ran = subprocess.run([wrapper, "-c", "import sys; print(sys.version_info[:3])"],
                             capture_output=True, text=True, timeout=60, env={})
        assert (ran.returncode, ran.stdout.strip()) == (0, str(base.version)), ran.stderr


def test_a_path_entry_named_from_root_is_the_same_both_ways() -> None:
    """A PATH entry written "{root}/DIR" (as env values name ROOT) is ROOT/DIR both ways."""
    require_oracle(bool(BASES), "no in-scope interpreter found here")
    base = BASES[-1]
    case = Case(BUILDER, base, Placement(("bare-name",), (
        MakeDir("links/bin"), Link("links/bin/python3", base.executable)), "python3", "venv",
        ("{root}/links/bin",)))
    by_stage, by_script = made_both_ways(case)
    assert by_script == by_stage


@pytest.mark.parametrize("where", ["executable", "builder", "names"])
def test_a_newline_in_a_header_value_stays_in_its_comment(where: str) -> None:
    """The script's header comments name the builder, the base and the placement; a case
    file may hold any string there (a file name may hold a newline), and the line after it
    must not run."""
    require_oracle(bool(BASES), "no in-scope interpreter found here")
    real = BASES[-1]
    evil = "x\ntouch INJECTED\n"
    base = Base(real.executable + evil, real.prefix, real.version) \
        if where == "executable" else real
    builder = Case(BUILDER, real, Placement((), (), "", "")).builder
    if where == "builder":
        builder = type(builder)(evil, builder.command, builder.kind)
    names = ("direct", evil) if where == "names" else ("direct",)
    case = Case(builder, base, Placement(names, (), real.executable, "venv"))
    with two_roots() as (_, script_root, environ):
        run_script(case, environ, script_root)
        assert not os.path.exists(os.path.join(script_root, "INJECTED"))
        assert os.path.isdir(os.path.join(script_root, "venv"))


@pytest.mark.parametrize("value", ["/opt/py", "/a\\nb", "C:\\temp\\c", "-n", "{root}/x y",
                                   "it's \"q\" $HOME `x`"])
def test_expected_and_observed_values_are_printed_as_they_are(value: str) -> None:
    """The script prints what was expected and observed; a value holding a backslash or
    starting with -n is printed as it is (dash's echo reads \\n and \\c, and -n)."""
    require_oracle(bool(BASES), "no in-scope interpreter found here")
    base = BASES[-1]
    case = Case(BUILDER, base, Placement(("direct",), (), base.executable, "venv"))
    text = reproducer.script(case, expected={"sys.prefix": value},
                             observed={"sys.prefix": value})
    with two_roots() as (_, script_root, environ):
        done = run_script(case, environ, script_root, text)
        shown = value.replace("{root}", script_root)
        lines = done.stdout.splitlines()
        assert f"expected: sys.prefix = {shown}" in lines, done.stdout
        assert f"observed when the case was found: sys.prefix = {shown}" in lines, done.stdout


@pytest.mark.parametrize("template", [
    "{python} -m venv --without-pip {target} # a comment after the command",
    "cd / && exec {python} -m venv --without-pip {target}",
    "{python} -m venv --without-pip {target} && test -z \"$UNSET_BY_ANYONE\"",
], ids=["comment", "exec", "unset-variable"])
def test_the_builder_runs_as_conform_runs_it(template: str) -> None:
    """A template is a /bin/sh command of its own (conform runs it so): a trailing comment,
    an exec, a cd or an unset variable in it must not end or move the rest of the script,
    which then runs the venv's interpreter from the directory it made."""
    require_oracle(bool(BASES), "no in-scope interpreter found here")
    base = BASES[-1]
    case = Case(check_template(template), base, Placement(("direct",), (), base.executable,
                                                          "venv"))
    with two_roots() as (_, script_root, environ):
        done = run_script(case, environ, script_root)
    assert done.returncode == 0, done.stderr
    assert f"sys.prefix = {script_root}/venv" in done.stdout, done.stdout
    assert "status: 0" in done.stdout


def test_a_broken_activate_is_shown_sourced() -> None:
    """A case failing venv.activate: the script sources ENV/bin/activate in bash and prints
    what it set (here a builder that writes the script for another directory)."""
    require_oracle(bool(BASES), "no in-scope interpreter found here")
    require_oracle(shutil.which("bash") is not None, "no bash to source bin/activate with")
    base = BASES[-1]
    builder = check_template(
        "{python} -m venv --without-pip {target} && "
        "sed -i 's|VIRTUAL_ENV=[^_].*|VIRTUAL_ENV=/elsewhere|' {target}/bin/activate")
    case = Case(builder, base, Placement(("direct",), (), base.executable, "venv"))
    text = reproducer.script(case, failing=["venv.activate"])
    with two_roots() as (_, script_root, environ):
        done = run_script(case, environ, script_root, text)
    lines = done.stdout.splitlines()
    assert "VIRTUAL_ENV = /elsewhere" in lines, done.stdout + done.stderr
    assert "PATH = /elsewhere/bin:/usr/bin:/bin" in lines, done.stdout
    assert "activate status: 0" in lines, done.stdout
