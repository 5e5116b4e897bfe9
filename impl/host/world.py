"""This machine as the model sees it for one invocation: the real filesystem and the build
constants of the binaries the invocation may run.

The commands that predict (predict, explain, diff, which) and ``build venv``, which learns
its interpreter through a prediction, build their world here.  :func:`host_world`
(impl/host/interpreters.py) is the world of every interpreter found here, with no invocation.
"""

from __future__ import annotations

import contextlib
import os
import re

from prefixlab.impl.host import identity, interpreters
from prefixlab.impl.host.elf import ElfError
from prefixlab.impl.host.account import host_account
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.exec import binarywrapper, chain
from prefixlab.model.world import World, kernel
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.invocation import Invocation


def world_for(invocation: Invocation, *, use_cache: bool, fs: Snapshot | None = None,
              host: bool = True) -> World:
    """The host as the model sees it: the real filesystem, every interpreter found here and
    the binary the invocation executes, if it looks like a CPython binary (its constants are
    learned by running it once, neutrally; cached).  A binary that cannot tell its constants
    is left out: the model then says not-modelled.  ``fs`` is the snapshot to use (a new one
    of / by default); without ``host`` only the invocation's own binaries are learned (not
    every interpreter found here)."""
    snapshot = Snapshot("/") if fs is None else fs
    builds: dict[str, BuildConstants] = (
        dict(interpreters.host_world(use_cache=use_cache).builds) if host else {})
    target = _target(snapshot, invocation)
    failed: dict[str, str] = {}
    """Binaries that could not be learned, and why: not run again for the exec chain."""
    if target is not None and target not in builds and looks_like_cpython(target):
        _learn(target, builds, use_cache, failed)
    _learn_chain(snapshot, invocation, builds, use_cache, failed)
    return World(snapshot, builds, host_account(), failed)


def _learn_chain(fs: Snapshot, invocation: Invocation, builds: dict[str, BuildConstants],
                 use_cache: bool, failed: dict[str, str]) -> None:
    """Learn the binaries an exec chain (script, wrapper, env, pyenv shim) leads to, one hop
    at a time, so that the model can follow it to a known interpreter."""
    cwd = kernel.realpath(fs, invocation.cwd)
    if isinstance(cwd, kernel.Errno):
        return
    for _ in range(chain.MAX_HOPS):
        hop = chain.follow(fs, invocation, cwd, builds, [])
        binary = hop.binary if isinstance(hop, chain.Stopped) else None
        if (binary is None or binary in builds or binary in failed
                or not looks_like_cpython(binary)):
            return
        if not _learn(binary, builds, use_cache, failed):
            return


def _learn(binary: str, builds: dict[str, BuildConstants], use_cache: bool,
           failed: dict[str, str]) -> bool:
    """Learn ``binary``'s constants into ``builds`` (its reason into ``failed`` if it cannot
    be).  A copy whose libpython the loader finds nowhere cannot be run, and is recognised
    by its bytes only as a copy of a build learned before: when it lies in a venv, the
    interpreter its pyvenv.cfg names (``executable``, else ``home``'s pythons) is learned
    first, so that a ``venv --copies`` of an interpreter not found here is known too."""
    try:
        builds[binary] = interpreters.learn_constants(binary, use_cache=use_cache)
        return True
    except interpreters.InterpreterError as error:
        reason = str(error)
    if _libpython_missing(binary):
        for original in _venv_originals(binary):
            with contextlib.suppress(interpreters.InterpreterError):
                interpreters.learn_constants(original, use_cache=use_cache)
        try:
            builds[binary] = interpreters.learn_constants(binary, use_cache=use_cache)
            return True
        except interpreters.InterpreterError as error:
            reason = str(error)
    failed[binary] = reason
    return False


def _libpython_missing(binary: str) -> bool:
    try:
        return bool(identity.identify(os.path.realpath(binary)).missing)
    except ElfError:
        return False


_ORIGINAL_NAME = re.compile(r"python3(\.\d+t?)?$")


def _venv_originals(binary: str) -> list[str]:
    """The interpreters the pyvenv.cfg of ``binary``'s venv names (at most a few): its
    ``executable`` (written by venv from 3.11), then ``home``'s python3 binaries.  The file
    is looked for where getpath looks, beside the executable and one directory up
    (Modules/getpath.py; getpath.c 3.8-3.10), and read leniently as ``key = value`` lines."""
    directory = os.path.dirname(binary)
    values: dict[str, str] = {}
    for config in (os.path.join(os.path.dirname(directory), "pyvenv.cfg"),
                   os.path.join(directory, "pyvenv.cfg")):
        if not os.path.isfile(config):  # never open a FIFO
            continue
        try:
            with open(config, encoding="utf-8", errors="surrogateescape") as handle:
                lines = handle.read(1 << 16).splitlines()
        except OSError:
            continue
        for line in lines:
            key, equals, value = line.partition("=")
            if equals:
                values.setdefault(key.strip().lower(), value.strip())
        break
    found = [values["executable"]] if values.get("executable") else []
    home = values.get("home", "")
    if home and os.path.isdir(home):
        with contextlib.suppress(OSError):
            found += sorted(os.path.join(home, name) for name in os.listdir(home)
                            if _ORIGINAL_NAME.match(name))
    real = os.path.realpath(binary)
    return [path for path in list(dict.fromkeys(found))[:4]
            if os.path.realpath(path) != real and looks_like_cpython(path)]


def _target(fs: Snapshot, invocation: Invocation) -> str | None:
    """exec_target's physical path of the binary executed, or None."""
    cwd = kernel.realpath(fs, invocation.cwd)
    if isinstance(cwd, kernel.Errno):
        return None
    target = chain.exec_target(fs, invocation, cwd)
    return None if isinstance(target, kernel.Errno) else target


def looks_like_cpython(path: str) -> bool:
    """An ELF file named python* that is not a makeBinaryWrapper wrapper (the model follows
    those, and scripts, itself).  Wrappers are small: a file over 1 MiB is not one."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 20)
            big = bool(handle.read(1))
    except OSError:
        return False
    if head[:4] != b"\x7fELF" or not os.path.basename(path).startswith("python"):
        return False
    return big or binarywrapper.read_binary(head) is None
