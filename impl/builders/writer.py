"""The one writer of built environments: a plan of operations applied all-or-nothing.

A builder plans (pure: a tuple of operations with paths relative to the target) and this module
applies the plan.  What may stand at TARGET is decided here, for every builder: nothing; an
empty directory; with ``force``, a venv (a directory holding ``pyvenv.cfg``), an environment
prefixlab built (a directory holding its build record, ``.prefixlab-build``), a file or a
symbolic link (the link itself is replaced, never what it points to).  Anything else (a
directory with other content, a FIFO, a device) is refused, force or not.

Everything happens in a *staging directory* that the writer creates beside TARGET
(``.NAME.prefixlab-staging-PID``), holding a record of the build (``record``: who, pid and
host; when; which target) and the new tree (``tree``).  The finished tree is renamed onto
TARGET's name, or, when TARGET exists and may be replaced, exchanged with it in one
renameat2(RENAME_EXCHANGE): the old entry, whatever its kind (a directory, a file, a link),
then sits in the staging directory, which is removed.  So a build killed at any point leaves
either the old TARGET or the new one in place, never a half-written one, and at most its
staging directory, which the next build in that directory recognises by its record (its
process gone) and removes.  Entries under a staging name that are not prefixlab's (no record:
a FIFO, a file, someone's directory) are never opened or removed: they are reported, and the
build takes another staging name.  Nothing is written outside TARGET and its staging
directory.
"""

from __future__ import annotations

import errno
import os
import stat
import time

from prefixlab.model.builders import plan as _plan
from prefixlab.model.builders.plan import Copy, CWrapper, Link, Mkdir, Operation, Write
from prefixlab.model.errors import PrefixlabError
from prefixlab.impl.render.escape import show

TYPE_CHECKING = False  # typing and collections stay off a warm build's start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    Warn = Callable[[str], None]

__all__ = ["CWrapper", "Copy", "Link", "Mkdir", "Operation", "Write", "WriteError", "apply",
           "check_name", "check_plan", "clean_staging", "env_record", "preflight", "remove_tree"]

VENV_MARK = "pyvenv.cfg"
"""A directory holding this file is a venv (PEP 405), which --force may replace."""
ENV_RECORD = ".prefixlab-build"
"""The build record an environment prefixlab built carries at its root (env_record): what
tells --force that the directory is prefixlab's to replace."""

STAGING_MARK = ".prefixlab-staging-"
"""In the name of every staging directory: ``.NAME`` + this + ``PID`` (``-N`` when taken)."""
RECORD = "record"
"""The staging directory's record of its build (created first, before anything else in it)."""
TREE = "tree"
"""The new tree inside the staging directory; after the exchange, the entry it replaced."""
OLD = "old"
"""Where the replaced entry waits when the kernel or filesystem cannot exchange two names."""
_RECORD_HEAD = b"prefixlab staging directory"
_RECORD_PARTIAL = RECORD + ".partial"
"""The record while it is written (renamed to RECORD when whole)."""
_UNREADABLE = "/"
"""Stands for the content of a directory that cannot be listed (no name holds a '/')."""
_RECORD_MAX = 65536


class WriteError(PrefixlabError):
    """The plan cannot be applied; the message is one line naming the path."""


def _step(what: str) -> None:
    """Called before each operation that changes the disk.  Does nothing: the kill tests
    (tests/impl/builders/test_writer.py) replace it to stop the process at every point."""


def _quiet(message: str) -> None:
    """The default for ``warn``: an in-process caller that passes none hears nothing."""


def check_plan(plan: Iterable[Operation]) -> tuple[Operation, ...]:
    """The plan validated by model.plan; a malformed plan is a WriteError here."""
    try:
        return _plan.check_plan(plan)
    except _plan.PlanError as error:
        raise WriteError(str(error)) from None


# -- applying a plan -------------------------------------------------------------------------
def apply(plan: Iterable[Operation], target: str, *, force: bool = False,
          warn: Warn | None = None) -> None:
    """Write the plan at ``target`` atomically, replacing what stands there if the module's
    rule allows it (``force``: a venv, an environment, a file, a link); else WriteError, with
    TARGET untouched.  ``warn`` hears one line for each entry beside TARGET under a staging
    name that is not prefixlab's."""
    ops = check_plan(plan)
    target = os.path.abspath(target)
    check_name(target)
    # Leftovers first: a build killed between the fallback's two renames left TARGET's old
    # entry in its staging directory, and it is put back before TARGET is looked at.
    clean_staging(os.path.dirname(target), warn if warn is not None else _quiet)
    before = _replaceable(target, force)
    staging = _make_staging(target)
    try:
        _write_tree(ops, os.path.join(staging, TREE), target)
        if before is None:
            _rename_in(staging, target)
        else:
            _swap_in(staging, target, before, force)
    except BaseException:
        _put_back(staging, target)  # an old entry still aside goes back first, never lost
        _remove_quietly(staging)  # TARGET is as it was; a leftover is the next build's
        raise
    _remove_replaced(staging, target)


def _put_back(staging: str, target: str) -> None:
    """After a failure: if TARGET's old entry is in the staging directory and nothing is at
    TARGET (a rename back failed, or was never reached), rename it back."""
    old = os.path.join(staging, OLD)
    try:
        if os.path.lexists(old) and not os.path.lexists(target):
            os.rename(old, target)
    except OSError:
        pass  # left in staging, with its record: the next build puts it back (_restore)


def env_record(flavor: str) -> Write:
    """The build record of an environment (ENV_RECORD), for the builder to add to its plan."""
    return Write(ENV_RECORD, b"# Built by prefixlab; `prefixlab build env --force` may replace "
                 b"this directory.\nprefixlab build env --flavor " + flavor.encode() + b"\n")


def preflight(target: str, force: bool) -> None:
    """Refuse now what apply would refuse at TARGET, before a builder spends time planning
    (apply looks again when it writes)."""
    absolute = os.path.abspath(target)
    check_name(absolute)
    _replaceable(absolute, force)


def check_name(target: str) -> None:
    """TARGET's absolute path must be one its files can carry: pyvenv.cfg is UTF-8 text that
    site reads line by line (a newline or CR splits a line; 3.11+ stdlib venv fails on a
    byte that is not UTF-8), #! lines and the activation scripts hold the path, and PATH
    cannot hold its separator (3.11+ stdlib venv refuses it: Lib/venv/__init__.py,
    EnvBuilder.ensure_directories).  Every other control character is refused with the
    newline: none has a use in a path, and a terminal showing one acts on it."""
    for char in target:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            why = "a byte that is not UTF-8, which pyvenv.cfg and scripts (UTF-8) cannot hold"
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            why = (f"a control character (U+{code:04X}), which pyvenv.cfg, #! lines and "
                   "the activation scripts cannot hold")
        elif char == os.pathsep:
            why = f"the PATH separator {os.pathsep!r}, which PATH cannot hold"
        else:
            continue
        raise WriteError(f"{show(target)}: TARGET contains {why}")


def _replaceable(target: str, force: bool) -> os.stat_result | None:
    """What is at TARGET now (None: nothing), if the build may replace it; else WriteError."""
    try:
        found = os.lstat(target)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise WriteError(f"{target}: {error.strerror}") from None
    what = _judge(target, found)
    if what is not None and not force:
        hint = ("use --force to replace the link, not what it points to"
                if what == "a symbolic link" else "use --force to replace it")
        raise WriteError(f"{target}: already exists ({what}; {hint})")
    return found


def _judge(path: str, found: os.stat_result, shown: str | None = None) -> str | None:
    """What the entry at ``path`` is, if the build may replace it: None when it may without
    force (an empty directory), a description when only with force; WriteError (naming it
    ``shown``, by default ``path``) when never."""
    name = path if shown is None else shown
    if stat.S_ISLNK(found.st_mode):
        return "a symbolic link"
    if stat.S_ISREG(found.st_mode):
        return "a file"
    if not stat.S_ISDIR(found.st_mode):
        raise WriteError(f"{name}: a {_kind(found.st_mode)}; prefixlab replaces only a venv, "
                         "an environment it built, an empty directory, a file or a link")
    if os.path.ismount(path):
        raise WriteError(f"{name}: a mount point, which cannot be replaced by a rename")
    try:
        names = os.listdir(path)
    except OSError as error:
        raise WriteError(f"{name}: cannot be listed ({error.strerror}), so it cannot be "
                         "told for a venv") from None
    if not names:
        return None
    for mark, what in ((VENV_MARK, "a venv"), (ENV_RECORD, "an environment prefixlab built")):
        if mark in names and _is_file(os.path.join(path, mark)):
            return what
    raise WriteError(f"{name}: a directory that is neither a venv nor an environment "
                     "prefixlab built (no pyvenv.cfg, no .prefixlab-build); prefixlab "
                     "replaces only those: move it away or choose another TARGET")


def _is_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _write_tree(ops: tuple[Operation, ...], tree: str, target: str) -> None:
    """The new tree in the staging directory; a fault says that TARGET was not touched
    (the staging directory is removed by apply)."""
    try:
        _step("tree")
        try:
            os.mkdir(tree, 0o755)
        except OSError as error:
            raise _failed(target, "cannot create it", error) from None
        for op in ops:
            _step(op.path)
            _apply_one(op, os.path.join(tree, op.path), os.path.join(target, op.path))
    except WriteError as error:
        raise WriteError(f"{error}; nothing at {target} was changed") from None


def _rename_in(staging: str, target: str) -> None:
    """The new tree onto TARGET's free name.  rename(2) of a directory replaces nothing but
    an empty directory: what another builder put there meanwhile makes this one the loser."""
    _step("rename")
    try:
        os.rename(os.path.join(staging, TREE), target)
    except OSError as error:
        if error.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
            raise WriteError(f"{target}: appeared while this build ran (another build?); "
                             "left as it is") from None
        raise _failed(target, "cannot rename the new tree into place", error) from None


def _swap_in(staging: str, target: str, before: os.stat_result, force: bool) -> None:
    """Exchange the new tree with TARGET, then check that what came out is what was there
    when the build started; if not (another builder won the race), exchange back."""
    tree = os.path.join(staging, TREE)
    if stat.S_ISDIR(before.st_mode):
        _check_removable(target)
    _step("exchange")
    try:
        replaced = _exchange(tree, target, os.path.join(staging, OLD))
    except OSError as error:
        raise _failed(target, "cannot exchange it with the new tree", error) from None
    try:
        _step("check")
        if not _same_entry(replaced, before):
            raise WriteError(f"{target}: replaced by someone else while this build ran "
                             "(another build?); left as it is")
        # An empty directory may have been filled meanwhile: judge it again, by the same
        # rule (without --force only an empty directory may be replaced).
        _judge(replaced, os.lstat(replaced), target)
        if not force and not _is_empty_dir(replaced):
            raise WriteError(f"{target}: filled while this build ran; left as it is")
    except BaseException:
        _step("roll back")
        _exchange_back(tree, target, replaced)
        raise


def _is_empty_dir(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode) and not os.listdir(path)
    except OSError:
        return False


def _same_entry(path: str, before: os.stat_result) -> bool:
    try:
        now = os.lstat(path)
    except OSError:
        return False
    return (now.st_dev, now.st_ino, stat.S_IFMT(now.st_mode)) == (
        before.st_dev, before.st_ino, stat.S_IFMT(before.st_mode))


def _check_removable(target: str) -> None:
    """Can this process empty every directory of the TARGET it replaces?  If not, its removal
    would stop halfway after the exchange; so the build stops before it.  (What access(2)
    cannot foresee, an I/O error or an immutable file, is reported when it happens.)"""
    stack = [target]
    while stack:
        directory = stack.pop()
        try:
            if not os.access(directory, os.W_OK | os.X_OK):
                raise OSError(errno.EACCES, os.strerror(errno.EACCES), directory)
            with os.scandir(directory) as entries:
                stack.extend(e.path for e in entries if e.is_dir(follow_symlinks=False))
        except OSError as error:
            raise WriteError(f"{directory}: {error.strerror}: what TARGET holds could not be "
                             f"removed, so {target} is left as it is") from None


def _remove_replaced(staging: str, target: str) -> None:
    """The staging directory, now holding the replaced entry, goes.  A failure here leaves
    the new TARGET in place and the rest in the staging directory: said, never hidden (the
    next build removes it, by its record)."""
    try:
        _remove_staging(staging)
    except OSError as error:
        raise WriteError(f"{staging}: {error.strerror}: the new {target} is in place, but "
                         "what it replaced is left in this staging directory") from None


def _remove_quietly(staging: str) -> None:
    try:
        _remove_staging(staging)
    except OSError:
        pass  # its record names a dead process: the next build in the directory removes it


def _remove_staging(staging: str) -> None:
    """A staging directory's content, then its record, then itself: a build killed midway
    leaves the record, by which the next one knows the directory for prefixlab's."""
    for name in sorted(os.listdir(staging)):
        if name != RECORD:
            path = os.path.join(staging, name)
            _step(f"remove {name}")
            if stat.S_ISDIR(os.lstat(path).st_mode):
                remove_tree(path)
            else:
                os.unlink(path)  # a file, a link or a FIFO: never opened
    _step("remove record")
    try:
        os.unlink(os.path.join(staging, RECORD))
    except FileNotFoundError:
        pass  # killed before writing it
    os.rmdir(staging)


def remove_tree(path: str) -> None:
    """Remove the directory ``path`` and everything below it, with a stack of its own
    (shutil.rmtree recurses once per level on 3.11, which a tree 1,000 deep exceeds).
    Links are removed, never followed; what is not a directory (a FIFO too) is unlinked
    without being opened."""
    pending, directories = [path], []
    while pending:
        folder = pending.pop()
        directories.append(folder)
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                else:
                    os.unlink(entry.path)
    for folder in reversed(directories):
        os.rmdir(folder)


def _failed(path: str, what: str, error: OSError) -> WriteError:
    return WriteError(f"{path}: {what}: {error.strerror or error}")


# -- the operations --------------------------------------------------------------------------
def _apply_one(op: Operation, path: str, final: str) -> None:
    """One operation at ``path`` (in the staging tree); errors name ``final``, the path it
    would have had in TARGET, or the source file that could not be read."""
    try:
        if isinstance(op, Mkdir):
            os.mkdir(path)
            os.chmod(path, op.mode)
        elif isinstance(op, Link):
            os.symlink(op.target, path)
        elif isinstance(op, Copy):
            _copy(op.source, path, final)
        elif isinstance(op, CWrapper):
            _compile(op, path)
        else:
            with open(path, "xb") as handle:
                handle.write(op.data)
            os.chmod(path, op.mode)
    except OSError as error:
        raise _failed(final, "cannot write it", error) from None


def _copy(source: str, path: str, final: str) -> None:
    """Copy source's bytes and mode bits; a fault reading the source names the source."""
    try:
        handle = open(source, "rb")
        mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
    except OSError as error:
        raise _failed(source, "cannot read it", error) from None
    with handle, open(path, "xb") as out:
        while True:
            try:
                chunk = handle.read(1 << 20)
            except OSError as error:
                raise _failed(source, "cannot read it", error) from None
            if not chunk:
                break
            out.write(chunk)
    os.chmod(path, mode)


def _compile(op: CWrapper, path: str) -> None:
    from prefixlab.impl.builders import cwrapper  # only plans with wrappers need them
    from prefixlab.impl.builders import wrapgen
    try:
        cwrapper.compile_wrapper(wrapgen.c_wrapper(op.executable, op.flags), path)
    except (cwrapper.CompileError, wrapgen.GeneratorError) as error:
        raise WriteError(f"{op.path}: cannot build its wrapper ({error})") from None
    os.chmod(path, 0o755)


# -- staging directories ---------------------------------------------------------------------
def _make_staging(target: str) -> str:
    """A new staging directory beside TARGET, with its record in it.  A name already taken
    (someone's entry: clean_staging has said so) makes the next name be tried."""
    head, name = os.path.split(target)
    short = os.fsdecode(os.fsencode(name)[:100])  # the record names TARGET in full
    base = os.path.join(head, f".{short}{STAGING_MARK}{os.getpid()}")
    for n in range(1000):
        path = base if n == 0 else f"{base}-{n}"
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        except OSError as error:
            raise _failed(path, "cannot create the staging directory", error) from None
        break
    else:
        raise WriteError(f"{base}: no free staging name beside TARGET")
    try:
        _step("record")
        _write_record(path, target)
    except BaseException as error:
        _remove_quietly(path)
        if isinstance(error, OSError):
            raise _failed(path, "cannot write the staging record", error) from None
        raise
    return path


def _write_record(staging: str, target: str) -> None:
    pid = os.getpid()
    fields = [(b"pid", b"%d" % pid), (b"start", _start_time(pid)),
              (b"host", os.fsencode(os.uname().nodename)),
              (b"time", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()).encode()),
              (b"target", os.fsencode(target))]
    data = _RECORD_HEAD + b"\n" + b"".join(k + b" = " + v + b"\n" for k, v in fields)
    # Written aside, then renamed: another build looking at this directory meanwhile sees
    # no record or a whole one, never half of one.
    partial = os.path.join(staging, _RECORD_PARTIAL)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        while data:
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)
    os.rename(partial, os.path.join(staging, RECORD))


class _Record:
    """A staging directory's record, read back."""

    __slots__ = ("pid", "start", "host", "target")

    def __init__(self, pid: int, start: bytes, host: str, target: str) -> None:
        self.pid, self.start, self.host, self.target = pid, start, host, target


def _read_record(staging: str) -> _Record | None:
    """The record of a staging directory; None when there is none or it is not one.  Only a
    regular file is opened (non-blocking: a FIFO put there meanwhile cannot hang it)."""
    path = os.path.join(staging, RECORD)
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.read(fd, _RECORD_MAX)
    except OSError:
        return None
    finally:
        os.close(fd)
    lines = data.split(b"\n")
    if lines[0] != _RECORD_HEAD:
        return None
    fields = dict(line.partition(b" = ")[::2] for line in lines[1:] if b" = " in line)
    try:
        return _Record(int(fields[b"pid"]), fields[b"start"], os.fsdecode(fields[b"host"]),
                       os.fsdecode(fields[b"target"]))
    except (KeyError, ValueError):
        return None


def clean_staging(directory: str, warn: Warn) -> None:
    """Remove the staging directories in ``directory`` that builds killed on this host left
    (their record names a process that is gone), and tell ``warn`` about each entry under a
    staging name that is not prefixlab's or not this host's (left alone, never opened)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return  # making the staging directory will say what is wrong with the directory
    for name in sorted(names):
        if name.startswith(".") and STAGING_MARK in name:
            _clean_one(os.path.join(directory, name), name, warn)


def _clean_one(path: str, name: str, warn: Warn) -> None:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return  # gone meanwhile
    if not stat.S_ISDIR(mode):
        warn(f"{path}: not a staging directory of prefixlab (a {_kind(mode)}); left alone")
        return
    record = _read_record(path)
    if record is None:
        listing = _listing(path)
        if listing is None:
            return  # removed meanwhile: its build has finished
        if listing in ([], [_RECORD_PARTIAL]):  # a build before its record is in place
            if not _alive(_pid_of(name), b""):
                _remove_stale(path, None, warn)  # killed that early
            return
        # A build puts its record in place before anything else and removes it last, so
        # content without a record is someone else's, unless the record arrived just now.
        record = _read_record(path)
        if record is None:
            if _listing(path) is not None:
                warn(f"{path}: not a staging directory of prefixlab (a directory without its "
                     "record); left alone")
            return
    if record.host != os.uname().nodename:
        warn(f"{path}: a staging directory of a build on host {record.host} (pid "
             f"{record.pid}); left alone")
    elif not _alive(record.pid, record.start):
        _remove_stale(path, record, warn)


def _listing(path: str) -> list[str] | None:
    """The names in a staging directory, sorted; None when it is gone.  One that cannot be
    listed is taken as holding something (it is reported, never removed)."""
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return None
    except OSError:
        return [_UNREADABLE]


def _remove_stale(path: str, record: _Record | None, warn: Warn) -> None:
    try:
        if record is not None:
            _restore(path, record)
        _remove_staging(path)
    except OSError as error:
        warn(f"{path}: a staging directory a killed build left could not be removed "
             f"({error.strerror}); left as it is")


def _restore(staging: str, record: _Record) -> None:
    """A build killed between the two renames of the fallback (no RENAME_EXCHANGE) left its
    TARGET's old entry in the staging directory and nothing at TARGET: put it back."""
    old = os.path.join(staging, OLD)
    if (os.path.lexists(old) and not os.path.lexists(record.target)
            and os.path.dirname(record.target) == os.path.dirname(staging)):
        os.rename(old, record.target)


def _pid_of(name: str) -> int:
    digits = name.partition(STAGING_MARK)[2].partition("-")[0]
    return int(digits) if digits.isdigit() else -1


def _start_time(pid: int) -> bytes:
    """The process's start time (clock ticks since boot, /proc/PID/stat's field 22), which
    tells a process from a later one that reuses its pid; empty when unknown."""
    fields = _proc_stat(pid)
    return fields[19] if fields is not None and len(fields) > 19 else b""


def _proc_stat(pid: int) -> list[bytes] | None:
    """/proc/PID/stat's fields after the command name (field 3 on); None: no such file."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2].split()
    except OSError:
        return None


def _alive(pid: int, start: bytes) -> bool:
    """Is process ``pid`` running (and, when ``start`` is known, the same process)?"""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.path.isdir("/proc/self"):
        fields = _proc_stat(pid)
        if fields is None or fields[:1] in ([b"Z"], [b"X"]):
            return False  # gone, or a zombie: it will never finish its build
        return not start or _start_time(pid) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "directory"), (stat.S_ISLNK, "symbolic link"),
                       (stat.S_ISREG, "file"), (stat.S_ISFIFO, "fifo"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device")):
        if test(mode):
            return name
    return "special file"


# -- renaming --------------------------------------------------------------------------------
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(new: str, old: str, aside: str) -> str:
    """Swap two names; return where the entry that was at ``old`` now is.  renameat2
    (RENAME_EXCHANGE, Linux 3.15+) swaps them atomically, and the entry lands at ``new``;
    where the kernel or filesystem cannot, ``old`` is renamed to ``aside`` and ``new`` onto
    ``old`` (a killed build between the two is undone by the next one: _restore)."""
    code = _renameat2(new, old, _RENAME_EXCHANGE)
    if code == 0:
        return new
    if code not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        raise OSError(code, os.strerror(code), old)
    os.rename(old, aside)
    try:
        _step("rename")
        os.rename(new, old)
    except BaseException:
        os.rename(aside, old)
        raise
    return aside


def _exchange_back(new: str, old: str, replaced: str) -> None:
    """Undo _exchange: the replaced entry back at ``old``, the new tree at ``new``."""
    if replaced == new:
        code = _renameat2(new, old, _RENAME_EXCHANGE)
        if code != 0:
            raise OSError(code, os.strerror(code), old)
        return
    os.rename(old, new)
    os.rename(replaced, old)


def _renameat2(new: str, old: str, flags: int) -> int:
    """renameat2(2) through libc; 0, or the errno (ENOSYS when libc lacks it)."""
    import ctypes  # only to replace TARGET: kept off a plain build's start-up

    libc = ctypes.CDLL(None, use_errno=True)
    function = getattr(libc, "renameat2", None)
    if function is None:
        return errno.ENOSYS
    if function(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(old), flags) == 0:
        return 0
    return ctypes.get_errno()
