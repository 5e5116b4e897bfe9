"""Faults a root process cannot get from the real disk, given by pyfakefs to the writer and to
the builders' write step: the disk filling up midway (ENOSPC), permission denied (pyfakefs
as a user that is not root), a read error (EIO) on a package file.  Each time TARGET is left
as it was (the old entry, or nothing), nothing is left beside it, and the error is one line
naming the fault and the path.

pyfakefs resolves '..' lexically, so it is used here only for the writer's I/O (absolute
paths without '..'); planning happens on the real disk, before the fake one is set up.
renameat2 is a libc call pyfakefs cannot see: it is emulated in the fake filesystem, and the
fallback (no RENAME_EXCHANGE) is run as well."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem
from pyfakefs.fake_filesystem_unittest import Patcher

from conftest import in_scope_interpreters, require_oracle
from prefixlab.impl.builders import env as envbuild
from prefixlab.impl.builders import venv as bv
from prefixlab.impl.builders import writer
from prefixlab.impl.builders.writer import Copy, Link, Mkdir, Operation, Write, WriteError
from prefixlab.model.builders.venv import Options

SOURCE = "/src/pkg/libpython.so"
PLAN: tuple[Operation, ...] = (
    Mkdir("bin"), Link("bin/python", "/usr/bin/python3"), Mkdir("lib"),
    Write("pyvenv.cfg", b"home = /usr/bin\n" * 10), Write("bin/activate", b"x" * 3000),
    Copy("lib/libpython.so", SOURCE), Write("lib/tail", b"y" * 500))
OLD_KINDS = ["none", "venv", "file", "link"]
INTERPRETERS = in_scope_interpreters()


def _exchange_in_fake_fs(new: str, old: str, flags: int) -> int:
    """renameat2(RENAME_EXCHANGE) on the fake filesystem (three renames: atomicity is what
    the kill tests check, on the real disk)."""
    aside = new + ".exchanging"
    os.rename(old, aside)
    os.rename(new, old)
    os.rename(aside, new)
    return 0


@pytest.fixture(name="fake", params=["exchange", "fallback"])
def _fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[FakeFilesystem]:
    renameat2: Callable[[str, str, int], int] = (
        _exchange_in_fake_fs if request.param == "exchange" else lambda *_: errno.ENOSYS)
    monkeypatch.setattr(writer, "_renameat2", renameat2)
    with Patcher(allow_root_user=False) as patcher:
        fs = patcher.fs
        assert fs is not None
        fs.create_dir("/w")
        fs.create_file(SOURCE, contents=b"z" * 4000)
        yield fs


def make_old(fs: FakeFilesystem, kind: str, target: str = "/w/t") -> None:
    if kind == "venv":
        fs.create_file(f"{target}/pyvenv.cfg", contents=b"old")
        fs.create_file(f"{target}/lib/keep.py", contents=b"k" * 100)
    elif kind == "file":
        fs.create_file(target, contents=b"old file")
    elif kind == "link":
        fs.create_symlink(target, "/elsewhere")


def limit_free_space(fs: FakeFilesystem, free: int) -> None:
    fs.set_disk_usage(10**12, "/")  # pyfakefs counts what is used once a size is set
    fs.set_disk_usage(fs.get_disk_usage("/").used + free, "/")


def state(path: str) -> Any:
    """The entry at path and everything below it (kinds, bytes, link targets)."""
    if os.path.islink(path):
        return ("link", os.readlink(path))
    if os.path.isfile(path):
        with open(path, "rb") as handle:
            return ("file", handle.read())
    if not os.path.isdir(path):
        return None
    return {name: state(os.path.join(path, name)) for name in sorted(os.listdir(path))}


def check_untouched(before: Any, error: Exception, *needles: str) -> None:
    message = str(error)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, (needle, message)
    assert state("/w/t") == before
    assert sorted(os.listdir("/w")) == ([] if before is None else ["t"])


# -- the writer ------------------------------------------------------------------------------
@pytest.mark.parametrize("old", OLD_KINDS)
@pytest.mark.parametrize("budget", [0, 100, 250, 400, 2000, 3500, 5000, 7600, 8000])
def test_a_disk_that_fills_up_midway_leaves_target_as_it_was(fake: FakeFilesystem, old: str,
                                                             budget: int) -> None:
    make_old(fake, old)
    before = state("/w/t")
    limit_free_space(fake, budget)
    try:
        writer.apply(PLAN, "/w/t", force=True)
    except WriteError as error:
        check_untouched(before, error, "No space left on device", "/w/")
        return
    written = sum(len(op.data) for op in PLAN if isinstance(op, Write)) + 4000
    assert budget >= written
    assert state("/w/t")["pyvenv.cfg"] == ("file", b"home = /usr/bin\n" * 10)
    assert os.listdir("/w") == ["t"]


@pytest.mark.parametrize("old", OLD_KINDS)
def test_a_directory_that_cannot_be_written_leaves_target_as_it_was(fake: FakeFilesystem,
                                                                    old: str) -> None:
    make_old(fake, old)
    before = state("/w/t")
    os.chmod("/w", 0o555)
    with pytest.raises(WriteError) as error:
        writer.apply(PLAN, "/w/t", force=True)
    os.chmod("/w", 0o755)
    check_untouched(before, error.value, "Permission denied", "/w/.t.prefixlab-staging-")


def test_an_old_venv_that_cannot_be_emptied_is_not_replaced(fake: FakeFilesystem) -> None:
    make_old(fake, "venv")
    os.chmod("/w/t/lib", 0o555)  # its file could not be unlinked after the exchange
    before = state("/w/t")
    with pytest.raises(WriteError) as error:
        writer.apply(PLAN, "/w/t", force=True)
    check_untouched(before, error.value, "Permission denied", "/w/t/lib")


@pytest.mark.parametrize("old", OLD_KINDS)
def test_an_unreadable_package_file_leaves_target_as_it_was(fake: FakeFilesystem,
                                                            old: str) -> None:
    make_old(fake, old)
    before = state("/w/t")
    os.chmod(SOURCE, 0)
    with pytest.raises(WriteError) as error:
        writer.apply(PLAN, "/w/t", force=True)
    check_untouched(before, error.value, "Permission denied", SOURCE)


class _FailingRead:
    """A file object whose read fails as a bad disk sector does (EIO)."""

    def __init__(self, handle: Any, path: str) -> None:
        self.handle, self.path = handle, path

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)

    def __enter__(self) -> _FailingRead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()

    def read(self, size: int = -1) -> bytes:
        raise OSError(errno.EIO, os.strerror(errno.EIO), self.path)


@pytest.fixture(name="eio")
def _eio(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Make reads of one file fail with EIO (pyfakefs has no bad sectors: the writer's
    ``open`` is wrapped for that one path)."""
    def failing(path: str) -> None:
        def opener(name: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            handle = open(name, mode, *args, **kwargs)
            return _FailingRead(handle, name) if name == path and "r" in mode else handle

        monkeypatch.setattr(writer, "open", opener, raising=False)
    return failing


@pytest.mark.parametrize("old", OLD_KINDS)
def test_a_read_error_on_a_package_file_leaves_target_as_it_was(
        fake: FakeFilesystem, eio: Callable[[str], None], old: str) -> None:
    make_old(fake, old)
    before = state("/w/t")
    eio(SOURCE)
    with pytest.raises(WriteError) as error:
        writer.apply(PLAN, "/w/t", force=True)
    check_untouched(before, error.value, "Input/output error", SOURCE)


# -- the builders' write step -----------------------------------------------------------------
@pytest.fixture(name="interp", scope="module")
def _interp() -> Any:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found on this machine")
    return INTERPRETERS[-1]


@pytest.fixture(name="venv_ops", scope="module")
def _venv_ops(interp: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Operation, ...]:
    """A --copies venv planned on the real disk (its Copy reads the interpreter), at a path
    of its own: the texts that name it do not matter here."""
    here = tmp_path_factory.mktemp("plan")
    target = str(here / "v")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    environ["XDG_CACHE_HOME"] = str(here / "cache")
    options = Options(copies=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(here / "cache"))
        learned = bv.learn(interp.path, target, options, cwd=str(here), env=environ)
    return tuple(bv.plan_for(learned, target, options, str(here),
                             "prefixlab build venv").operations)


@pytest.fixture(name="env_plan", scope="module")
def _env_plan(interp: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("pkg")
    version = "%d.%d" % interp.version[:2]
    site = root / f"lib/python{version}/site-packages"
    site.mkdir(parents=True)
    (site / "small.py").write_text("")
    return envbuild.plan_env("/w/t", interp.path, [str(root)])


def sources_in(fs: FakeFilesystem, ops: tuple[Operation, ...]) -> list[str]:
    """Each Copy's source as a fake file of its real size (the bytes do not matter)."""
    found = []
    for op in ops:
        if isinstance(op, Copy) and not os.path.exists(op.source):
            fs.create_file(op.source, contents=b"\x7fELF" + b"b" * 20000)
            found.append(op.source)
    return found


@pytest.mark.real
@pytest.mark.parametrize("builder", ["venv", "env"])
@pytest.mark.parametrize("fault", ["ENOSPC", "EACCES", "EIO"])
def test_the_builders_name_the_fault_and_leave_target_as_it_was(
        fake: FakeFilesystem, eio: Callable[[str], None], builder: str, fault: str,
        venv_ops: tuple[Operation, ...], env_plan: Any) -> None:
    ops = venv_ops if builder == "venv" else env_plan.ops
    copied = sources_in(fake, ops)
    assert copied, "the plan copies a file (the interpreter)"
    make_old(fake, "venv" if builder == "venv" else "none")
    if builder == "env":
        fake.create_file("/w/t/.prefixlab-build", contents=b"# an environment prefixlab built")
    before = state("/w/t")
    if fault == "ENOSPC":
        limit_free_space(fake, 3000)
        needles = ["No space left on device", "/w/t/"]
    elif fault == "EACCES":
        os.chmod(copied[0], 0)
        needles = ["Permission denied", copied[0]]
    else:
        eio(copied[0])
        needles = ["Input/output error", copied[0]]
    error: Exception
    if builder == "venv":
        with pytest.raises(bv.BuildVenvError) as raised:
            bv.write(ops, "/w/t", force=True)
        error = raised.value
    else:
        with pytest.raises(envbuild.EnvError) as failed:
            envbuild.write(env_plan, "/w/t", flavor="reference", force=True)
        error = failed.value
    check_untouched(before, error, *needles)

