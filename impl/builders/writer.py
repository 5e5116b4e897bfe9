"""The one writer of built environments: a plan of operations applied all-or-nothing.

A builder plans (pure: a tuple of operations with paths relative to the target) and this module
applies the plan.  The tree is written in a staging directory beside TARGET, whose name says what
it is (``.NAME.prefixlab-staging-PID``), and then renamed into place, so a build killed at any
point leaves either no TARGET or the previous one, never a half-written one.  The next run
removes staging directories that a killed run left behind.  Replacing an existing TARGET
(``force``) swaps the two directories in one renameat2(RENAME_EXCHANGE) where Linux allows it.
Nothing is written outside TARGET and its staging directory.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable

from prefixlab.model.builders import plan as _plan
from prefixlab.model.builders.plan import Copy, CWrapper, Link, Mkdir, Operation, Write
from prefixlab.model.errors import PrefixlabError

__all__ = ["CWrapper", "Copy", "Link", "Mkdir", "Operation", "Write", "WriteError", "apply",
           "check_plan"]

def _rmtree(path: str) -> None:
    import shutil  # kept off a plain build's start-up (it must beat python -m venv)

    shutil.rmtree(path)


STAGING_MARK = ".prefixlab-staging-"


class WriteError(PrefixlabError):
    """The plan cannot be applied; the message is one line naming the path."""


def check_plan(plan: Iterable[Operation]) -> tuple[Operation, ...]:
    """The plan validated by model.plan; a malformed plan is a WriteError here."""
    try:
        return _plan.check_plan(plan)
    except _plan.PlanError as error:
        raise WriteError(str(error)) from None


def staging_dir(target: str) -> str:
    head, name = os.path.split(os.path.abspath(target))
    return os.path.join(head, f".{name}{STAGING_MARK}{os.getpid()}")


def remove_stale_staging(target: str) -> list[str]:
    """Remove staging directories of TARGET left by runs that were killed (their process is
    gone); return what was removed."""
    head, name = os.path.split(os.path.abspath(target))
    prefix = f".{name}{STAGING_MARK}"
    removed = []
    for entry in os.listdir(head or "."):
        pid = entry[len(prefix):]
        if entry.startswith(prefix) and pid.isdigit() and not _alive(int(pid)):
            _rmtree(os.path.join(head, entry))
            removed.append(os.path.join(head, entry))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def apply(plan: Iterable[Operation], target: str, *, force: bool = False) -> None:
    """Write the plan at ``target`` atomically.  Without ``force`` an existing TARGET is never
    touched (WriteError); with it, TARGET is replaced in one exchange."""
    ops = check_plan(plan)
    target = os.path.abspath(target)
    exists = os.path.lexists(target)
    if exists and not force:
        raise WriteError(f"{target}: already exists (use --force to replace it)")
    remove_stale_staging(target)
    staging = staging_dir(target)
    os.mkdir(staging, 0o755)
    try:
        for op in ops:
            _apply_one(op, os.path.join(staging, op.path))
        if exists:
            _exchange(staging, target)
            _rmtree(staging)  # now the previous TARGET
        else:
            os.rename(staging, target)
    except BaseException:
        if os.path.lexists(staging):
            _rmtree(staging)
        raise


def _apply_one(op: Operation, path: str) -> None:
    if isinstance(op, Mkdir):
        os.mkdir(path)
        os.chmod(path, op.mode)
    elif isinstance(op, Link):
        os.symlink(op.target, path)
    elif isinstance(op, Copy):
        import shutil

        shutil.copyfile(op.source, path, follow_symlinks=True)
        shutil.copymode(op.source, path)
    elif isinstance(op, CWrapper):
        from prefixlab.impl.builders import cwrapper  # only plans with wrappers need them
        from prefixlab.impl.builders import wrapgen
        try:
            cwrapper.compile_wrapper(wrapgen.c_wrapper(op.executable, op.flags), path)
        except (cwrapper.CompileError, wrapgen.GeneratorError) as error:
            raise WriteError(f"{op.path}: cannot build its wrapper ({error})") from None
        os.chmod(path, 0o755)
    else:
        with open(path, "xb") as handle:
            handle.write(op.data)
        os.chmod(path, op.mode)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(new: str, old: str) -> None:
    """renameat2(RENAME_EXCHANGE): swap two paths atomically (Linux 3.15+); where that is
    unavailable, a rename of the old tree aside and the new one in (a short window)."""
    import ctypes  # only for --force: kept off a plain build's start-up

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        result = renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(old),
                           _RENAME_EXCHANGE)
        if result == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), old)
    aside = new + ".old"
    os.rename(old, aside)
    os.rename(new, old)
    os.rename(aside, new)
