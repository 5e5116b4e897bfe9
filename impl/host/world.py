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
from collections.abc import Iterator, Mapping

from prefixlab.impl.host import identity, interpreters
from prefixlab.impl.host.elf import ElfError
from prefixlab.impl.host.account import host_account
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.exec import chain
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
    every interpreter found here).

    Nothing is learned that the answer does not read: the invocation's binaries are learned
    here, and an interpreter found here only when the model asks for the binary at its real
    path (:class:`HostBuilds`), which the exec chain of a plain interpreter never does."""
    snapshot = Snapshot("/") if fs is None else fs
    builds: dict[str, BuildConstants] | HostBuilds = (
        HostBuilds(use_cache=use_cache) if host else {})
    target = _target(snapshot, invocation)
    failed: dict[str, str] = {}
    """Binaries that could not be learned, and why: not run again for the exec chain."""
    # Learned even when it is an interpreter found here: discovery would learn the same
    # constants (they depend on the real path only), and asking would list the candidates.
    if target is not None and looks_like_cpython(target):
        _learn(target, builds, use_cache, failed)
    _learn_chain(snapshot, invocation, builds, use_cache, failed)
    return World(snapshot, builds, host_account(), failed)


class HostBuilds(Mapping[str, BuildConstants]):
    """The builds of a host world: the binaries learned for the invocation, and those of every
    in-scope interpreter found here (:func:`interpreters.discover`: the same keys and values
    as ``interpreters.host_world().builds``), each learned only when it is first asked for.
    Where interpreters are found is listed on the first question the learned binaries cannot
    answer (a glob and a few directory listings); none is run or read before that.  Learning
    follows the rules in force when the mapping was made (--no-learn may be over by the time
    the model asks).  Iterating it learns every interpreter found here."""

    def __init__(self, *, use_cache: bool) -> None:
        self._use_cache = use_cache
        self._learning = interpreters.LEARNING.get()
        self._known: dict[str, BuildConstants] = {}
        self._absent: set[str] = set()
        self._found: dict[str, list[tuple[str, str]]] | None = None
        """Real path -> the candidates found at it (path, source), in discovery's order."""

    def __setitem__(self, binary: str, constants: BuildConstants) -> None:
        self._known[binary] = constants
        self._absent.discard(binary)

    def __getitem__(self, binary: str) -> BuildConstants:
        found = self._known.get(binary)
        if found is None:
            found = self._host(binary)
            if found is None:
                raise KeyError(binary)
        return found

    def __contains__(self, binary: object) -> bool:
        return isinstance(binary, str) and (binary in self._known
                                            or self._host(binary) is not None)

    def __iter__(self) -> Iterator[str]:
        for binary in list(self._candidates()):
            self._host(binary)
        return iter(list(self._known))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def learn_host(self) -> None:
        """Learn every interpreter found here (as discovery would, which indexes their
        binaries for the recognition of copies without their libpython)."""
        for binary in list(self._candidates()):
            self._host(binary)

    def _candidates(self) -> dict[str, list[tuple[str, str]]]:
        if self._found is None:
            self._found = {}
            for path, source in interpreters.candidates(os.environ):
                self._found.setdefault(os.path.realpath(path), []).append((path, source))
        return self._found

    def _host(self, binary: str) -> BuildConstants | None:
        """The constants discovery gives the interpreter found at real path ``binary`` (the
        first candidate there it does not pass over), learned now; None if none is."""
        if binary in self._known:
            return self._known[binary]
        if binary in self._absent or binary not in self._candidates():
            return None
        token = interpreters.LEARNING.set(self._learning)
        try:
            for path, source in self._candidates()[binary]:
                interp = interpreters.examine(path, binary, source, self._use_cache)
                if interp is not None:
                    if interp.constants is not None:
                        self._known[binary] = interp.constants
                        return interp.constants
                    break
        finally:
            interpreters.LEARNING.reset(token)
        self._absent.add(binary)
        return None


def _learn_chain(fs: Snapshot, invocation: Invocation,
                 builds: dict[str, BuildConstants] | HostBuilds, use_cache: bool,
                 failed: dict[str, str]) -> None:
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


def _learn(binary: str, builds: dict[str, BuildConstants] | HostBuilds, use_cache: bool,
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
        if isinstance(builds, HostBuilds):
            builds.learn_host()  # a copy of any of them is recognised by its bytes
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
    if big or WRAPPER_RECORD not in head:
        return True  # read_binary finds no record: no need to import it
    from prefixlab.model.exec import binarywrapper

    return binarywrapper.read_binary(head) is None


WRAPPER_RECORD = b"makeCWrapper "
"""How a makeBinaryWrapper record starts (binarywrapper.RECORD_START, which read_binary looks
for first: without it, a binary is no wrapper)."""
