"""What `build venv`'s cache rests on (impl/builders/venv.py): what the learned answer read,
nothing else.  A cached answer must always be the answer learned afresh; a change the answer
depends on (a landmark or pyvenv.cfg appearing on the way, a link retargeted, the binary
replaced, a site-packages .pth, the activation templates, a variable the start reads, the
working directory a relative --python is taken from) makes it learned again, and churn it
does not depend on (a new working directory, the target's directory coming and going, other
entries beside TARGET, a variable no start reads) leaves it valid."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import in_scope_interpreters, require_oracle
from prefixlab.impl.builders import venv as bv
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.builders.venv import Options

INTERPRETERS = in_scope_interpreters()

pytestmark = pytest.mark.real


@pytest.fixture(name="scratch")
def _scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    yield tmp_path


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(extra)
    return env


def _pyenv() -> list[Interpreter]:
    """pyenv's interpreters, newest first (their binaries run from anywhere: an absolute
    RUNPATH finds libpython)."""
    return [i for i in reversed(INTERPRETERS) if i.source == "pyenv" and i.constants]


def _one() -> Interpreter:
    found = _pyenv()
    require_oracle(bool(found), "a pyenv interpreter")
    return found[0]


def _two() -> tuple[Interpreter, Interpreter]:
    found = _pyenv()
    pair = [i for i in found if i.version and found[0].version
            and i.version[:2] != found[0].version[:2]]
    require_oracle(bool(pair), "two pyenv interpreters of different minor versions")
    return found[0], pair[0]


def _stage(root: Path, interp: Interpreter) -> Path:
    """root/bin/python3, a copy of the interpreter's binary, with root/lib/pythonX.Y a
    directory of links to its stdlib's entries, but for site-packages (an empty directory of
    its own) and venv (a copy, so that its activation templates can change): a prefix the
    tests may change without touching the interpreter."""
    assert interp.constants is not None
    stdlib = Path(interp.constants.prefix) / interp.constants.stdlib_subdir
    (root / "bin").mkdir(parents=True)
    ours = root / interp.constants.stdlib_subdir
    ours.mkdir(parents=True)
    for entry in stdlib.iterdir():
        if entry.name == "site-packages":
            (ours / entry.name).mkdir()
        elif entry.name == "venv":
            shutil.copytree(entry, ours / entry.name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (ours / entry.name).symlink_to(entry)
    binary = root / "bin" / "python3"
    shutil.copy2(interp.real_path, binary)
    return binary


def _learn(python: str, target: Path, cwd: Path | str, env: dict[str, str],
           *, cached: bool) -> bv.Learned:
    """learn() from the cache, judged against learning afresh: the same answer, and taken
    from the cache exactly when ``cached``."""
    got = bv.learn(python, str(target), Options(), cwd=str(cwd), env=env)
    fresh = bv.learn(python, str(target), Options(), cwd=str(cwd), env=env, use_cache=False)
    assert (got.source, got.home) == (fresh.source, fresh.home)
    assert got.cached == cached
    return fresh


# -- churn the answer does not read ------------------------------------------------------------
def test_a_new_working_directory_each_time_stays_cached(scratch: Path) -> None:
    python = _one().path
    for n in range(3):
        cwd = scratch / f"cwd{n}"
        cwd.mkdir()
        (cwd / "sysconfig.py").write_text("")  # sys.path[0]'s listing: not the answer's
        _learn(python, scratch / "v", cwd, _env(), cached=n > 0)
        shutil.rmtree(cwd)


def test_the_target_directory_coming_and_going_stays_cached(scratch: Path) -> None:
    python = _one().path
    churn = scratch / "tmp"
    churn.mkdir()
    for n in range(3):
        parent = churn / f"build{n}"
        parent.mkdir()
        (churn / f"other{n}").write_text("")  # other processes' temporaries
        _learn(python, parent / "v", scratch, _env(), cached=n > 0)
        shutil.rmtree(parent)
        (churn / f"other{n}").unlink()


def test_variables_no_start_reads_leave_it_cached(scratch: Path) -> None:
    python = _one().path
    _learn(python, scratch / "v", scratch, _env(), cached=False)
    _learn(python, scratch / "v", scratch, _env(TMPDIR=str(scratch), SOMETHING="1"),
           cached=True)


def test_a_hard_link_to_the_binary_made_elsewhere_stays_cached(scratch: Path) -> None:
    """A new name for the binary or libpython (a test, a package manager linking it
    elsewhere) changes their ctime, not their bytes: the content decides, and the entry
    notes the new ctime (the next use is checked by lstat alone again)."""
    interp = _one()
    binary = _stage(scratch / "py", interp)
    _learn(str(binary), scratch / "v", scratch, _env(), cached=False)
    before = os.stat(binary).st_ctime_ns
    os.link(binary, scratch / "elsewhere")
    assert os.stat(binary).st_ctime_ns != before
    _learn(str(binary), scratch / "v", scratch, _env(), cached=True)
    os.unlink(scratch / "elsewhere")
    _learn(str(binary), scratch / "v", scratch, _env(), cached=True)


def test_prompt_dot_depends_on_the_working_directorys_name(scratch: Path) -> None:
    """`--prompt .` is the working directory's name (stdlib venv), written into the
    pyvenv.cfg the home is verified with: another name is learned again, another directory
    of the same name is not."""
    python = _one().path
    options = Options(prompt=".")
    for name, cached in (("one", False), ("two", False), ("two", True)):
        cwd = scratch / ("again" if cached else "first") / name
        cwd.mkdir(parents=True)
        got = bv.learn(python, str(scratch / "v"), options, cwd=str(cwd), env=_env())
        assert got.cached == cached


# -- changes the answer reads ------------------------------------------------------------------
def test_a_variable_the_start_reads_is_learned_again(scratch: Path) -> None:
    interp = _one()
    _stage(scratch / "py", interp)
    first = _learn(interp.path, scratch / "v", scratch, _env(), cached=False)
    home = str(scratch / "py")
    assert interp.constants is not None
    again = _learn(interp.path, scratch / "v", scratch, _env(PYTHONHOME=home), cached=False)
    assert (first.source.prefix, again.source.prefix) == (interp.constants.prefix, home)


def test_a_landmark_appearing_on_the_way_is_learned_again(scratch: Path) -> None:
    interp = _one()
    binary = _stage(scratch / "py", interp)
    first = _learn(str(binary), scratch / "v", scratch, _env(), cached=False)
    assert first.source.prefix == str(scratch / "py")
    assert interp.constants is not None
    decoy = scratch / "py" / "bin" / interp.constants.stdlib_subdir
    decoy.parent.mkdir()
    # A whole stdlib (the interpreter's, linked) whose os.py getpath's search from bin/
    # finds first.
    decoy.symlink_to(scratch / "py" / interp.constants.stdlib_subdir)
    again = _learn(str(binary), scratch / "v", scratch, _env(), cached=False)
    assert again.source.prefix == str(scratch / "py" / "bin")


def test_a_pyvenv_cfg_appearing_is_learned_again(scratch: Path) -> None:
    interp = _one()
    binary = _stage(scratch / "py", interp)
    first = _learn(str(binary), scratch / "v", scratch, _env(), cached=False)
    assert not first.source.is_venv
    (scratch / "py" / "pyvenv.cfg").write_text(f"home = {os.path.dirname(interp.real_path)}\n")
    again = _learn(str(binary), scratch / "v", scratch, _env(), cached=False)
    assert again.source.is_venv


def test_a_link_retargeted_is_learned_again(scratch: Path) -> None:
    new, old = _two()
    link = scratch / "python"
    link.symlink_to(old.real_path)
    first = _learn(str(link), scratch / "v", scratch, _env(), cached=False)
    link.unlink()
    link.symlink_to(new.real_path)
    again = _learn(str(link), scratch / "v", scratch, _env(), cached=False)
    assert again.source.version[:2] != first.source.version[:2]


def test_the_binary_replaced_is_learned_again(scratch: Path) -> None:
    new, old = _two()
    binary = scratch / "bin" / "python3"
    binary.parent.mkdir()
    shutil.copy2(old.real_path, binary)
    first = _learn(str(binary), scratch / "v", scratch, _env(), cached=False)
    shutil.copy2(new.real_path, scratch / "bin" / "next")
    os.replace(scratch / "bin" / "next", binary)
    again = _learn(str(binary), scratch / "v", scratch, _env(), cached=False)
    assert again.source.version[:2] != first.source.version[:2]


def test_a_new_pth_file_in_site_packages_is_learned_again(scratch: Path) -> None:
    interp = _one()
    binary = _stage(scratch / "py", interp)
    _learn(str(binary), scratch / "v", scratch, _env(), cached=False)
    assert interp.constants is not None
    site = scratch / "py" / interp.constants.stdlib_subdir / "site-packages"
    (site / "extra.pth").write_text(str(scratch) + "\n")
    _learn(str(binary), scratch / "v", scratch, _env(), cached=False)


def test_a_new_activation_template_is_learned_again(scratch: Path) -> None:
    interp = _one()
    binary = _stage(scratch / "py", interp)
    first = _learn(str(binary), scratch / "v", scratch, _env(), cached=False)
    assert interp.constants is not None
    posix = scratch / "py" / interp.constants.stdlib_subdir / "venv" / "scripts" / "posix"
    (posix / "activate.nu").write_text("# __VENV_DIR__\n")
    again = _learn(str(binary), scratch / "v", scratch, _env(), cached=False)
    assert {t.path for t in again.source.templates} - {t.path for t in first.source.templates} \
        == {"activate.nu"}


def test_a_relative_python_depends_on_the_working_directory(scratch: Path) -> None:
    new, old = _two()
    _stage(scratch / "a", old)
    _stage(scratch / "b", new)
    first = _learn("bin/python3", scratch / "v", scratch / "a", _env(), cached=False)
    again = _learn("bin/python3", scratch / "v", scratch / "b", _env(), cached=False)
    assert again.source.version[:2] != first.source.version[:2]
    _learn("bin/python3", scratch / "v", scratch / "b", _env(), cached=True)


# -- the variables a direct start reads --------------------------------------------------------
def test_start_env_covers_every_variable_the_start_up_model_names() -> None:
    """An absolute --python executed directly is learned with start_env's variables alone,
    and its entry compares only those: every name the start-up model (its command line,
    getpath, site, the import system, the filesystem and kernel) could read from the
    environment must be one of them.  Upper-case string literals there are environment
    variables but for errno's names and a few words."""
    import re

    from prefixlab import model
    from prefixlab.model.world.kernel import Errno

    words = {e.value for e in Errno} | {"ARRANGEMENTS", "POSIX"}
    top = Path(model.__path__[0])
    named: set[str] = set()
    for folder in ("startup", "world", "paths"):
        for source in (top / folder).rglob("*.py"):
            named.update(re.findall(r"[\"']([A-Z_][A-Z0-9_]{2,})[\"']", source.read_text()))
    variables = named - words
    assert {"PYTHONHOME", "PYTHONPATH", "HOME", "LC_ALL", "PATH"} <= variables  # it works
    # PATH is searched for a bare argv[0] only (getpath); a direct start's is absolute.
    variables.remove("PATH")
    assert sorted(v for v in variables if v not in bv.start_env({v: ""})) == []


def test_the_command_in_a_new_directory_each_time_uses_the_entry(scratch: Path) -> None:
    """`prefixlab build venv` as a build tool runs it: each time into a new mkdtemp() from a
    new working directory, the previous ones removed: the entry learned the first time is
    used, not written again."""
    import subprocess
    import sys

    python = _one().path
    program = str(Path(sys.executable).with_name("prefixlab"))
    env = {**_env(), "XDG_CACHE_HOME": str(scratch / "cache"), "PREFIXLAB_COMPILED": "0"}
    seen: list[tuple[int, dict[str, Any]]] = []
    for n in range(3):
        work = scratch / f"run{n}"
        (work / "project").mkdir(parents=True)
        done = subprocess.run([program, "-q", "build", "venv", str(work / "tmp" / "venv"),
                               "--python", python], cwd=work / "project", env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        [entry] = (scratch / "cache" / "prefixlab" / "venv").glob("*/*.marshal")
        seen.append((entry.stat().st_ino, bv._load(str(entry))["seen"]["entries"]))
        shutil.rmtree(work)
    for (inode, states), (first_inode, first) in zip(seen[1:], seen):
        if inode == first_inode:
            continue
        # Written again: only because a file's stat changed with its bytes the same (a hard
        # link made meanwhile by someone else), never learned again for nothing.
        changed = [p for p in states if states[p] != first.get(p)]
        assert changed and all(isinstance(states[p], list) and len(states[p]) == 8 and
                               states[p][7] == first[p][7] for p in changed), changed
