"""The environment writer (the safety rules of README.md's build env) on real temporary
directories: plans are validated, written all-or-nothing, never over an existing TARGET
without force, and a build killed midway leaves no TARGET and a staging directory the next
run removes."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from prefixlab.impl.builders import writer
from prefixlab.impl.builders.writer import Link, Mkdir, Write, WriteError

PLAN = (Mkdir("bin"), Link("bin/python", "/usr/bin/python3"), Mkdir("lib"),
        Write("pyvenv.cfg", b"home = /usr/bin\n"), Write("bin/run", b"#!/bin/sh\n", 0o755))


def snapshot(root: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                out[rel] = ("dir", path.stat().st_mode & 0o777)
            else:
                out[rel] = ("file", path.read_bytes(), path.stat().st_mode & 0o777)
    return out


def test_plan_is_written_exactly(tmp_path: Path) -> None:
    writer.apply(PLAN, str(tmp_path / "env"))
    assert snapshot(tmp_path / "env") == {
        "bin": ("dir", 0o755), "lib": ("dir", 0o755),
        "bin/python": ("link", "/usr/bin/python3"),
        "bin/run": ("file", b"#!/bin/sh\n", 0o755),
        "pyvenv.cfg": ("file", b"home = /usr/bin\n", 0o644)}
    assert os.listdir(tmp_path) == ["env"]  # no staging directory left


@pytest.mark.parametrize("bad", [
    (Write("/abs", b""),), (Write("a/../b", b""),), (Write("../out", b""),),
    (Write("x", b""), Write("x", b"")), (Write("d/x", b""),), (Write("./x", b""),)])
def test_bad_plans_are_refused_before_anything_is_written(tmp_path: Path,
                                                          bad: tuple[writer.Operation]) -> None:
    with pytest.raises(WriteError) as error:
        writer.apply(bad, str(tmp_path / "env"))
    assert "\n" not in str(error.value)
    assert os.listdir(tmp_path) == []


def test_existing_target_is_never_touched_without_force(tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "pyvenv.cfg").write_text("mine")
    with pytest.raises(WriteError, match="already exists"):
        writer.apply(PLAN, str(tmp_path / "env"))
    assert snapshot(tmp_path / "env") == {"pyvenv.cfg": ("file", b"mine", 0o644)}
    assert sorted(os.listdir(tmp_path)) == ["env"]


def test_force_replaces_the_target_in_one_exchange(tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "old").write_text("old")
    (tmp_path / "env" / writer.ENV_RECORD).write_text("an environment prefixlab built")
    inode = (tmp_path / "env").stat().st_ino
    writer.apply(PLAN, str(tmp_path / "env"), force=True)
    assert "old" not in snapshot(tmp_path / "env") and "pyvenv.cfg" in snapshot(tmp_path / "env")
    assert (tmp_path / "env").stat().st_ino != inode
    assert os.listdir(tmp_path) == ["env"]


KILLED = """
import os, signal, sys, time
from prefixlab.impl.builders import writer
from prefixlab.impl.builders.writer import Mkdir, Write
count = 0
def step(what):
    global count
    count += 1
    if count == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)
writer._step = step
plan = [Mkdir("d")] + [Write(f"d/f{i}", b"x") for i in range(20)]
writer.apply(plan, sys.argv[1])
"""


@pytest.mark.parametrize("when", [1, 5, 21])
def test_a_killed_build_leaves_no_target_and_the_next_run_cleans_up(tmp_path: Path,
                                                                     when: int) -> None:
    target = str(tmp_path / "env")
    run = subprocess.run([sys.executable, "-c", KILLED, target, str(when)], check=False)
    assert run.returncode == -signal.SIGKILL
    assert not os.path.lexists(target)
    leftovers = [n for n in os.listdir(tmp_path) if writer.STAGING_MARK in n]
    assert len(leftovers) == 1
    writer.apply(PLAN, target)
    assert sorted(os.listdir(tmp_path)) == ["env"]


@pytest.mark.parametrize("kind", ["file", "link"])
def test_force_replaces_a_file_or_a_link_itself(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "env"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep").write_text("keep")
    if kind == "file":
        target.write_text("old")
    else:
        target.symlink_to(tmp_path / "elsewhere")
    writer.apply(PLAN, str(target), force=True)
    assert not target.is_symlink() and "pyvenv.cfg" in snapshot(target)
    assert sorted(os.listdir(tmp_path)) == ["elsewhere", "env"]
    assert snapshot(tmp_path / "elsewhere") == {"keep": ("file", b"keep", 0o644)}


@pytest.mark.parametrize("force", [False, True])
def test_a_directory_with_content_that_is_no_environment_is_refused(tmp_path: Path,
                                                                    force: bool) -> None:
    (tmp_path / "env" / "src").mkdir(parents=True)
    (tmp_path / "env" / "src" / "work.txt").write_text("work")
    with pytest.raises(WriteError) as error:
        writer.apply(PLAN, str(tmp_path / "env"), force=force)
    assert "--force" not in str(error.value) and str(tmp_path / "env") in str(error.value)
    assert snapshot(tmp_path / "env") == {"src": ("dir", 0o755),
                                          "src/work.txt": ("file", b"work", 0o644)}
    assert os.listdir(tmp_path) == ["env"]


def test_an_empty_directory_is_replaced_without_force(tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    writer.apply(PLAN, str(tmp_path / "env"))
    assert "pyvenv.cfg" in snapshot(tmp_path / "env") and os.listdir(tmp_path) == ["env"]


# -- killed at every step, over every kind of TARGET --------------------------------------------
KILL_AT_STEP = """
import errno, os, signal, sys
from prefixlab.impl.builders import writer
from prefixlab.impl.builders.writer import Link, Mkdir, Write
count = 0
def step(what):
    global count
    count += 1
    if count == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)
writer._step = step
if sys.argv[3] == "fallback":  # a filesystem without RENAME_EXCHANGE
    writer._renameat2 = lambda *args: errno.ENOSYS
plan = (Mkdir("bin"), Link("bin/python", "/usr/bin/python3"), Mkdir("lib"),
        Write("pyvenv.cfg", b"home = /usr/bin\\n"), Write("bin/run", b"#!/bin/sh\\n", 0o755))
writer.apply(plan, sys.argv[1], force=True)
"""
OLD_KINDS = ["none", "venv", "environment", "empty", "file", "link"]


def make_old(kind: str, target: Path, elsewhere: Path) -> None:
    if kind in ("venv", "environment"):
        (target / "lib" / "deep").mkdir(parents=True)
        (target / "lib" / "deep" / "old.py").write_text("old")
        (target / "bin").mkdir()
        (target / "bin" / "python").symlink_to(elsewhere)
        mark = "pyvenv.cfg" if kind == "venv" else writer.ENV_RECORD
        (target / mark).write_text("old")
    elif kind == "empty":
        target.mkdir()
    elif kind == "file":
        target.write_text("old")
    elif kind == "link":
        target.symlink_to(elsewhere)


def entry_state(path: Path) -> object:
    if path.is_symlink():
        return ("link", os.readlink(path))
    if path.is_file():
        return ("file", path.read_bytes())
    return snapshot(path) if path.is_dir() else None


@pytest.mark.parametrize("rename", ["exchange", "fallback"])
@pytest.mark.parametrize("kind", OLD_KINDS)
def test_a_build_killed_at_any_step_leaves_the_old_or_the_new_target(
        tmp_path: Path, kind: str, rename: str) -> None:
    """SIGKILL at each of the writer's steps in turn: TARGET is the old entry or the new
    tree (with the fallback renames, also briefly nothing: the next build puts the old entry
    back), and the next build leaves the new tree and nothing else."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep").write_text("keep")
    writer.apply(PLAN, str(tmp_path / "reference"))
    new = entry_state(tmp_path / "reference")
    where = tmp_path / "d"
    target = where / "t"
    seen = set()
    for n in range(1, 100):
        if where.exists():
            shutil.rmtree(where)
        where.mkdir()
        make_old(kind, target, elsewhere)
        old = entry_state(target)
        run = subprocess.run([sys.executable, "-c", KILL_AT_STEP, str(target), str(n), rename],
                             capture_output=True, text=True, timeout=60)
        now = entry_state(target)
        if run.returncode == 0:
            assert now == new and os.listdir(where) == ["t"]
            break
        assert run.returncode == -signal.SIGKILL, run.stderr
        allowed = [old, new] + ([None] if rename == "fallback" else [])
        assert now in allowed, (n, now)
        seen.add("old" if now == old else "new" if now == new else "none")
        writer.apply(PLAN, str(target), force=True)  # the next build
        assert entry_state(target) == new and os.listdir(where) == ["t"], n
        assert snapshot(elsewhere) == {"keep": ("file", b"keep", 0o644)}
    else:
        pytest.fail("the build never finished")
    assert n > 8 and {"old", "new"} <= seen  # the kills fell before and after the swap


OTHER = (Mkdir("other"), Write("pyvenv.cfg", b"home = /other\n"))


@pytest.mark.parametrize("kind", ["none", "venv"])
def test_the_build_that_loses_a_race_says_so_and_leaves_the_winner(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """Another build finishes while this one is about to put its tree in place: this one
    loses (one line), and the other's tree stays, with nothing left beside it."""
    target = tmp_path / "env"
    make_old(kind, target, tmp_path)

    def other_build_wins(what: str) -> None:
        if what in ("exchange", "rename"):
            monkeypatch.setattr(writer, "_step", lambda what: None)
            writer.apply(OTHER, str(target), force=True)

    monkeypatch.setattr(writer, "_step", other_build_wins)
    with pytest.raises(WriteError) as error:
        writer.apply(PLAN, str(target), force=True)
    assert "another build" in str(error.value) and str(target) in str(error.value)
    assert snapshot(target) == {"other": ("dir", 0o755),
                                "pyvenv.cfg": ("file", b"home = /other\n", 0o644)}
    assert sorted(os.listdir(tmp_path)) == ["env"]


def plant(where: Path, name: str, pid: int, start: bytes, host: str) -> Path:
    """A staging directory as a build of ``pid`` started at ``start`` on ``host`` left it."""
    staging = where / name
    (staging / "tree" / "bin").mkdir(parents=True)
    (staging / "record").write_bytes(
        b"prefixlab staging directory\npid = %d\nstart = %s\nhost = %s\ntime = 2026-01-01T00:00"
        b":00Z\ntarget = %s\n" % (pid, start, host.encode(), str(where / "t").encode()))
    return staging


def test_leftovers_are_known_by_their_record_and_a_live_process_is_left_alone(
        tmp_path: Path) -> None:
    host = os.uname().nodename
    parent = os.getppid()  # alive, and not this process
    start = writer._start_time(parent)
    assert start, "/proc/PID/stat gives the start time"
    live = plant(tmp_path, f".t{writer.STAGING_MARK}{parent}", parent, start, host)
    plant(tmp_path, f".u{writer.STAGING_MARK}{parent}", parent, b"1", host)  # pid reused
    plant(tmp_path, f".v{writer.STAGING_MARK}4999999", 4_999_999, b"", host)  # gone
    remote = plant(tmp_path, f".w{writer.STAGING_MARK}4999998", 4_999_998, b"", "elsewhere")
    starting = tmp_path / f".x{writer.STAGING_MARK}{parent}"  # mkdir'd, record not yet written
    starting.mkdir()
    killed_early = tmp_path / f".y{writer.STAGING_MARK}4999997"
    killed_early.mkdir()
    # killed while writing its record: half of it, under the name it has until it is whole
    (killed_early / writer._RECORD_PARTIAL).write_bytes(b"prefixlab staging dir")
    warnings: list[str] = []
    writer.clean_staging(str(tmp_path), warnings.append)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live.name, remote.name, starting.name])
    assert len(warnings) == 1 and remote.name in warnings[0] and "elsewhere" in warnings[0]
    assert (live / "tree" / "bin").is_dir()  # a build that runs is never touched


# -- failures the review found: the old entry is never lost -----------------------------------
def test_an_interrupt_between_the_fallbacks_renames_keeps_the_old_target(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without RENAME_EXCHANGE the old TARGET is renamed aside, then the new tree in; a
    KeyboardInterrupt between the two must leave the old TARGET in place."""
    target = tmp_path / "env"
    make_old("venv", target, tmp_path)
    before = snapshot(target)
    monkeypatch.setattr(writer, "_renameat2", lambda *args: errno.ENOSYS)

    def interrupted(what: str) -> None:
        if what == "rename":
            raise KeyboardInterrupt

    monkeypatch.setattr(writer, "_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        writer.apply(PLAN, str(target), force=True)
    assert snapshot(target) == before
    assert sorted(os.listdir(tmp_path)) == ["env"]


def test_an_empty_target_filled_during_the_build_is_kept_without_force(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty directory may be replaced without --force; if someone (a parallel
    `python -m venv`) fills it while the build runs, it is no longer empty, and without
    --force it must stay as it is."""
    target = tmp_path / "env"
    target.mkdir()

    def someone_fills_it(what: str) -> None:
        if what == "exchange":
            (target / "pyvenv.cfg").write_bytes(b"home = /usr/bin\n")
            (target / "precious").write_bytes(b"work\n")

    monkeypatch.setattr(writer, "_step", someone_fills_it)
    with pytest.raises(WriteError) as error:
        writer.apply(PLAN, str(target), force=False)
    assert str(target) in str(error.value)
    assert sorted(os.listdir(target)) == ["precious", "pyvenv.cfg"]
    assert sorted(os.listdir(tmp_path)) == ["env"]


def test_force_over_a_venv_holding_a_very_deep_tree(tmp_path: Path) -> None:
    """The old tree is removed with a stack of the writer's own: shutil.rmtree recurses once
    per level on 3.11 and fails on a tree 1,100 deep."""
    target = tmp_path / "env"
    make_old("venv", target, tmp_path)
    deep = target
    for _ in range(1100):
        deep = deep / "d"
        deep.mkdir()
    writer.apply(PLAN, str(target), force=True)
    assert (target / "pyvenv.cfg").read_bytes() == b"home = /usr/bin\n"
    assert not (target / "d").exists()
    assert sorted(os.listdir(tmp_path)) == ["env"]
