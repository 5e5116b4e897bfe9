"""What `build venv` and `build env` do with what is already at TARGET and beside it (README's
"Writing" paragraph of build venv): --force replaces the entry itself, whatever its kind, and
leaves nothing beside it; entries under a staging name that are not prefixlab's are never
opened or removed.  Each build runs the real command line in a subprocess with a timeout, so
a build that would hang (opening a FIFO) fails the test instead of the session."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import in_scope_interpreters, interpreter_id, require_oracle
from prefixlab.impl.host.interpreters import Interpreter

PROGRAM = str(Path(sys.executable).with_name("prefixlab"))
INTERPRETERS = in_scope_interpreters()
DEAD_PID = 4_999_999
"""Above Linux's PID_MAX_LIMIT (2**22): no process has it."""


@pytest.fixture(name="python", scope="module")
def _python() -> str:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found on this machine")
    return INTERPRETERS[-1].path


@pytest.fixture(name="scratch")
def _scratch(tmp_path: Path) -> Iterator[Path]:
    # Builds happen in a directory of their own: the cache (one per module) lives elsewhere.
    where = tmp_path / "d"
    where.mkdir()
    yield where


@pytest.fixture(name="cache", scope="module")
def _cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def build(kind: str, target: str, python: str, *args: str, cwd: Path, cache: Path,
          package: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`prefixlab build KIND TARGET --python PYTHON ARGS` (build env gets one package)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["XDG_CACHE_HOME"] = str(cache)
    env.pop("VIRTUAL_ENV", None)
    extra = ["--package", str(package)] if kind == "env" and package is not None else []
    return subprocess.run([PROGRAM, "build", kind, target, "--python", python, *extra, *args],
                          capture_output=True, text=True, cwd=cwd, timeout=30, env=env)


def package_for(python: str, root: Path) -> Path:
    interp = next(i for i in INTERPRETERS if i.path == python)
    assert interp.version is not None
    site = root / f"lib/python{interp.version[0]}.{interp.version[1]}/site-packages"
    site.mkdir(parents=True)
    (site / "small.py").write_text("")
    return root


def built(kind: str, target: Path) -> bool:
    """TARGET is a complete environment of that kind (a real directory, not a link)."""
    marker = "pyvenv.cfg" if kind == "venv" else "bin/python3"
    return (not target.is_symlink() and target.is_dir()
            and os.path.lexists(target / marker))


def staging_names(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if ".prefixlab-staging-" in n)


def make(kind: str, path: Path, elsewhere: Path) -> Path | None:
    """An entry of ``kind`` at ``path``; for links, what they point to (left untouched)."""
    if kind == "file":
        path.write_text("a file\n")
        return None
    pointee = elsewhere / "pointee"
    if kind == "link-to-dir":
        pointee.mkdir()
        (pointee / "keep.txt").write_text("keep")
    elif kind == "link-to-file":
        pointee.write_text("keep")
    path.symlink_to(pointee)  # "dangling": the pointee is never made
    return pointee


# -- defect: --force over a file, a link or a FIFO ----------------------------------------------
@pytest.mark.real
@pytest.mark.parametrize("builder", ["venv", "env"])
@pytest.mark.parametrize("kind", ["file", "link-to-dir", "link-to-file", "dangling"])
def test_force_replaces_a_file_or_a_link_and_leaves_nothing_beside_it(
        builder: str, kind: str, python: str, scratch: Path, cache: Path,
        tmp_path: Path) -> None:
    package = package_for(python, tmp_path / "pkg") if builder == "env" else None
    target = scratch / "t"
    pointee = make(kind, target, tmp_path)
    done = build(builder, "t", python, "--force", cwd=scratch, cache=cache, package=package)
    assert done.returncode == 0, done.stderr
    assert built(builder, target)
    assert os.listdir(scratch) == ["t"]  # nothing stranded beside TARGET
    if pointee is not None and kind != "dangling":  # a link is replaced, not what it names
        assert (pointee / "keep.txt" if kind == "link-to-dir" else pointee).read_text() == "keep"
    again = build(builder, "t", python, "--force", cwd=scratch, cache=cache, package=package)
    assert again.returncode == 0, again.stderr
    assert built(builder, target) and os.listdir(scratch) == ["t"]


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_force_replaces_a_file_and_a_link_with_every_interpreter(
        interp: Interpreter, scratch: Path, cache: Path, tmp_path: Path) -> None:
    package = package_for(interp.path, tmp_path / "pkg")
    for builder, kind in (("venv", "file"), ("env", "link-to-dir")):
        make(kind, scratch / builder, tmp_path)
        done = build(builder, builder, interp.path, "--force", cwd=scratch, cache=cache,
                     package=package)
        assert done.returncode == 0, done.stderr
        assert built(builder, scratch / builder)
    assert sorted(os.listdir(scratch)) == ["env", "venv"]


@pytest.mark.real
@pytest.mark.parametrize("builder", ["venv", "env"])
def test_force_over_a_fifo_neither_hangs_nor_strands_it(builder: str, python: str,
                                                         scratch: Path, cache: Path,
                                                         tmp_path: Path) -> None:
    package = package_for(python, tmp_path / "pkg") if builder == "env" else None
    os.mkfifo(scratch / "t")
    for _ in range(2):  # the build after it must not hang or fail on what it left either
        done = build(builder, "t", python, "--force", cwd=scratch, cache=cache,
                     package=package)
        assert done.stderr.count("\n") <= 1, done.stderr
        assert staging_names(scratch) == []
        assert os.listdir(scratch) == ["t"]


@pytest.mark.real
@pytest.mark.parametrize("builder", ["venv", "env"])
def test_entries_under_staging_names_that_are_not_prefixlabs_are_left_alone(
        builder: str, python: str, scratch: Path, cache: Path, tmp_path: Path) -> None:
    package = package_for(python, tmp_path / "pkg") if builder == "env" else None
    fifo = scratch / f".t.prefixlab-staging-{DEAD_PID}"
    os.mkfifo(fifo)
    afile = scratch / f".x.prefixlab-staging-{DEAD_PID + 1}"
    afile.write_text("someone's")
    adir = scratch / f".t.prefixlab-staging-{DEAD_PID + 2}"
    adir.mkdir()
    (adir / "work.txt").write_text("someone's work")
    done = build(builder, "t", python, cwd=scratch, cache=cache, package=package)
    assert done.returncode == 0, done.stderr
    assert built(builder, scratch / "t")
    assert sorted(os.listdir(scratch)) == sorted(["t", fifo.name, afile.name, adir.name])
    assert afile.read_text() == "someone's" and (adir / "work.txt").read_text() == (
        "someone's work")
    warned = [line for line in done.stderr.splitlines() if "warning" in line]
    for name in (fifo.name, afile.name, adir.name):
        assert len([line for line in warned if name in line]) == 1, done.stderr


# -- defect: what --force may replace ------------------------------------------------------------
def one_line(done: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.mark.real
@pytest.mark.parametrize("builder", ["venv", "env"])
@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_a_directory_that_is_no_environment_is_never_replaced(
        builder: str, force: bool, python: str, scratch: Path, cache: Path,
        tmp_path: Path) -> None:
    package = package_for(python, tmp_path / "pkg") if builder == "env" else None
    work = scratch / "src" / "work.txt"
    work.parent.mkdir()
    work.write_text("a day's work")
    done = build(builder, "src", python, *(["--force"] if force else []), cwd=scratch,
                 cache=cache, package=package)
    line = one_line(done, str(scratch / "src"))
    assert "--force" not in line  # no suggestion to destroy it
    assert work.read_text() == "a day's work" and os.listdir(scratch) == ["src"]


@pytest.mark.real
@pytest.mark.parametrize("builder", ["venv", "env"])
def test_the_root_directory_is_refused_without_suggesting_force(
        builder: str, python: str, scratch: Path, cache: Path, tmp_path: Path) -> None:
    package = package_for(python, tmp_path / "pkg") if builder == "env" else None
    done = build(builder, "/", python, cwd=scratch, cache=cache, package=package)
    assert "--force" not in one_line(done, "/")


@pytest.mark.real
@pytest.mark.parametrize("builder", ["venv", "env"])
@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_an_empty_directory_is_built_in(builder: str, force: bool, python: str,
                                        scratch: Path, cache: Path, tmp_path: Path) -> None:
    """As stdlib venv and uv do: an empty directory is no loss."""
    package = package_for(python, tmp_path / "pkg") if builder == "env" else None
    (scratch / "t").mkdir()
    done = build(builder, "t", python, *(["--force"] if force else []), cwd=scratch,
                 cache=cache, package=package)
    assert done.returncode == 0, done.stderr
    assert built(builder, scratch / "t") and os.listdir(scratch) == ["t"]


def make_special(kind: str, path: Path) -> None:
    if kind == "fifo":
        os.mkfifo(path)
        return
    try:
        os.mknod(path, 0o600 | __import__("stat").S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")


@pytest.mark.real
@pytest.mark.parametrize("builder", ["venv", "env"])
@pytest.mark.parametrize("kind", ["fifo", "device"])
@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_a_fifo_or_a_device_is_refused(builder: str, kind: str, force: bool, python: str,
                                       scratch: Path, cache: Path, tmp_path: Path) -> None:
    package = package_for(python, tmp_path / "pkg") if builder == "env" else None
    make_special(kind, scratch / "t")
    before = os.lstat(scratch / "t")
    done = build(builder, "t", python, *(["--force"] if force else []), cwd=scratch,
                 cache=cache, package=package)
    assert "--force" not in one_line(done, str(scratch / "t"), kind)
    after = os.lstat(scratch / "t")
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert os.listdir(scratch) == ["t"]


@pytest.mark.real
@pytest.mark.parametrize("builder", ["venv", "env"])
@pytest.mark.parametrize("existing", ["venv", "env"])
def test_force_replaces_a_venv_or_an_environment_and_only_with_force(
        builder: str, existing: str, python: str, scratch: Path, cache: Path,
        tmp_path: Path) -> None:
    package = package_for(python, tmp_path / "pkg")
    first = build(existing, "t", python, cwd=scratch, cache=cache, package=package)
    assert first.returncode == 0, first.stderr
    plain = build(builder, "t", python, cwd=scratch, cache=cache, package=package)
    one_line(plain, str(scratch / "t"), "already exists", "--force")
    assert built(existing, scratch / "t")
    forced = build(builder, "t", python, "--force", cwd=scratch, cache=cache, package=package)
    assert forced.returncode == 0, forced.stderr
    assert built(builder, scratch / "t") and os.listdir(scratch) == ["t"]


@pytest.mark.real
def test_a_tree_like_an_environment_but_without_its_record_is_not_replaced(
        python: str, scratch: Path, cache: Path, tmp_path: Path) -> None:
    """An environment is recognised by the build record prefixlab writes in it, not by
    looking like one (bin/python3 is what any prefix has)."""
    package = package_for(python, tmp_path / "pkg")
    (scratch / "t" / "bin").mkdir(parents=True)
    (scratch / "t" / "bin" / "python3").write_text("mine")
    done = build("env", "t", python, "--force", cwd=scratch, cache=cache, package=package)
    assert "--force" not in one_line(done, str(scratch / "t"))
    assert (scratch / "t" / "bin" / "python3").read_text() == "mine"


# -- killed at any moment ---------------------------------------------------------------------
def entry_state(path: Path) -> object:
    """The entry at path and everything below it (kinds, modes, bytes, link targets)."""
    if path.is_symlink():
        return ("link", os.readlink(path))
    if path.is_file():
        return ("file", path.read_bytes())
    if not path.is_dir():
        return None
    return {name: entry_state(path / name) for name in sorted(os.listdir(path))}


def make_old(kind: str, target: Path, elsewhere: Path) -> None:
    if kind in ("venv", "environment"):
        (target / "lib" / "deep").mkdir(parents=True)
        (target / "lib" / "deep" / "old.py").write_text("old")
        (target / ("pyvenv.cfg" if kind == "venv" else ".prefixlab-build")).write_text("old")
    elif kind == "empty":
        target.mkdir()
    elif kind == "file":
        target.write_text("old")
    elif kind == "link":
        target.symlink_to(elsewhere)


@pytest.mark.real
@pytest.mark.parametrize("kind", ["venv", "environment", "empty", "file", "link"])
def test_a_build_killed_at_any_moment_leaves_the_old_or_the_new_target(
        kind: str, python: str, scratch: Path, cache: Path, tmp_path: Path) -> None:
    """`prefixlab build venv t --force` SIGKILLed after increasing delays (a warm build takes
    some tens of milliseconds): t is the old entry or the complete new venv, and the next
    build leaves the new venv and nothing else."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first = build("venv", "t", python, cwd=scratch, cache=cache)  # warms the cache, too
    assert first.returncode == 0, first.stderr
    new = entry_state(scratch / "t")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["XDG_CACHE_HOME"] = str(cache)
    env.pop("VIRTUAL_ENV", None)
    killed = 0
    for i in range(30):
        shutil.rmtree(scratch)
        scratch.mkdir()
        make_old(kind, scratch / "t", elsewhere)
        old = entry_state(scratch / "t")
        running = subprocess.Popen([PROGRAM, "build", "venv", "t", "--python", python,
                                    "--force"], cwd=scratch, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(i * 0.002)
        running.kill()
        killed += running.wait(timeout=60) == -signal.SIGKILL
        assert entry_state(scratch / "t") in (old, new), i
        again = build("venv", "t", python, "--force", cwd=scratch, cache=cache)
        assert again.returncode == 0, again.stderr
        assert entry_state(scratch / "t") == new and os.listdir(scratch) == ["t"], i
        assert os.listdir(elsewhere) == []
    assert killed


@pytest.mark.real
@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_two_builds_racing_for_one_target_end_with_one_winner(
        force: bool, python: str, scratch: Path, cache: Path, tmp_path: Path) -> None:
    """Two `build venv t` at once: t ends as one complete venv and nothing else is left; each
    build succeeds (one after the other) or loses with one line naming t."""
    first = build("venv", "t", python, cwd=scratch, cache=cache)  # warms the cache, too
    assert first.returncode == 0, first.stderr
    new = entry_state(scratch / "t")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["XDG_CACHE_HOME"] = str(cache)
    env.pop("VIRTUAL_ENV", None)
    args = [PROGRAM, "build", "venv", "t", "--python", python] + (["--force"] if force else [])
    losers = []
    for _ in range(10):
        shutil.rmtree(scratch)
        scratch.mkdir()
        if force:
            make_old("venv", scratch / "t", tmp_path)
        racing = [subprocess.Popen(args, cwd=scratch, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True) for _ in range(2)]
        done = [(p.wait(timeout=60), p.communicate()[1]) for p in racing]
        assert any(code == 0 for code, _ in done), done
        for code, err in done:
            if code:
                assert code == 2 and err.count("\n") == 1 and str(scratch / "t") in err, err
                losers.append(err)
        assert entry_state(scratch / "t") == new and os.listdir(scratch) == ["t"]
    assert not force or all("Traceback" not in e for e in losers)
