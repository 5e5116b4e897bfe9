"""The learner: the code an interpreter runs to tell its build constants, and that run (with
the digest of the binary) started early.

impl/host/interpreters.py learns a binary's constants by running :data:`CODE` in it once and
keys them by a digest of the binary and its libpython.  A cold ``build venv`` knows it will
need both as soon as its cache misses, before it has imported the model: :func:`start`
starts the run (another process, on another core) and the digest (a thread: reading and
hashing release the GIL) then, so that they overlap the imports, and learn_constants takes
their results (:func:`take_run`, :func:`take_identity`) instead of doing the work again.
Either is taken only for the same binary, unchanged since it was started (its device, inode,
size, mtime and ctime); what is not taken is killed at exit.  Imports nothing but os and
sys until started.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing stays off a warm build's start-up (model/speedups.py)
if TYPE_CHECKING:
    from threading import Thread

    from prefixlab.impl.host.identity import Identity, StatKey

# Runs under every CPython from 2.7 on (old ones are listed as out of scope, so the code must
# at least report their version).  Only compile-time facts are read: sysconfig's config vars
# come from the build's Makefile (_sysconfigdata); site.__file__ is only used to read the
# build's own site.py (Debian patches it to use dist-packages); /proc/self/maps says whether
# libpython really is a shared library of this process (Debian's static /usr/bin/python3.11
# reports Py_ENABLE_SHARED=1 because its sysconfig comes from the shared build).
CODE = r"""
import sys
try:
    show = ascii
except NameError:
    show = repr
import sysconfig
g = sysconfig.get_config_var
facts = {'version': tuple(sys.version_info[:3]), 'platform': sys.platform}
for name in ('prefix', 'exec_prefix', 'PLATLIBDIR', 'VPATH', 'PYTHONPATH', 'Py_GIL_DISABLED',
             'Py_ENABLE_SHARED', 'LIBDIR', 'INSTSONAME', 'LDLIBRARY', 'Py_DEBUG', 'ABIFLAGS'):
    facts[name] = g(name)
facts['abiflags'] = getattr(sys, 'abiflags', None)
try:
    facts['srcdir'] = __import__(sysconfig._get_sysconfigdata_name(), globals(), locals(),
                                 ['build_time_vars'], 0).build_time_vars.get('srcdir')
except Exception:
    facts['srcdir'] = None
facts['builtin_modules'] = tuple(sys.builtin_module_names)
try:
    import _imp
    from importlib.machinery import EXTENSION_SUFFIXES
    facts['extension_suffixes'] = tuple(EXTENSION_SUFFIXES)
    if hasattr(_imp, '_frozen_module_names'):
        names = _imp._frozen_module_names()
    else:
        import ctypes
        class _Frozen(ctypes.Structure):
            _fields_ = [('name', ctypes.c_char_p), ('code', ctypes.c_void_p),
                        ('size', ctypes.c_int)]
        table = ctypes.POINTER(_Frozen).in_dll(ctypes.pythonapi, 'PyImport_FrozenModules')
        names, i = [], 0
        while table[i].name:
            names.append(table[i].name.decode('ascii'))
            i += 1
    frozen = []
    for name in names:
        if hasattr(_imp, 'find_frozen'):
            info = _imp.find_frozen(name)
            if info is not None:
                frozen.append((name, info[2] or name, bool(info[1])))
        else:
            frozen.append((name, name, bool(_imp.is_frozen_package(name))))
    always = [name for name, _, _ in frozen]
    if hasattr(_imp, '_override_frozen_modules_for_tests'):
        _imp._override_frozen_modules_for_tests(-1)
        always = [name for name in always if _imp.find_frozen(name) is not None]
        _imp._override_frozen_modules_for_tests(0)
    facts['frozen_modules'] = tuple(frozen)
    facts['frozen_always'] = tuple(always)
except Exception:
    pass
import site
source = site.__file__
if source.endswith('.pyc'):
    source = source[:-1]
try:
    handle = open(source, 'rb')
    facts['dist_packages'] = b'dist-packages' in handle.read()
    handle.close()
except (IOError, OSError):
    facts['dist_packages'] = None
try:
    handle = open('/proc/self/maps')
    maps = handle.read()
    handle.close()
    facts['mapped_libpython'] = sorted(set(
        line.split()[-1] for line in maps.splitlines() if '/libpython' in line))
except (IOError, OSError):
    facts['mapped_libpython'] = None
sys.stdout.write('PREFIXLAB-CONSTANTS:' + show(facts) + '\n')
"""

_runs: dict[str, tuple[_Run, StatKey]] = {}
_digests: dict[str, tuple[Thread, list[tuple[StatKey, Identity]]]] = {}
_files: dict[str, tuple[StatKey, str]] = {}
"""Each file the digests read (the binary, its libpython), by real path: its stat key once
read and its own SHA-256 (:func:`digests`)."""


def start(python: str) -> None:
    """Start learning the interpreter ``python`` (a path) runs, when it is a CPython binary
    itself (through links: no script or wrapper, which would run something else) whose
    learning is not cached (impl/host/interpreters.py's identity entry for it is absent)
    and that cannot block at start-up (no pyvenv.cfg or ._pth beside it: getpath reads
    those even under -I, and a FIFO would make the run wait; such binaries are left to
    learn_constants, which checks).  Does nothing otherwise; never raises."""
    try:
        real = os.path.realpath(python)
        if real in _runs or _known(real) or not plain_cpython(real):
            return
        directory = os.path.dirname(real)
        if any(os.path.lexists(p) for p in (real + "._pth",
                                             os.path.dirname(directory) + "/pyvenv.cfg",
                                             directory + "/pyvenv.cfg")):
            return
        _start_run(real)
        _start_digest(real)
    except (OSError, ValueError, ImportError):
        return


WRAPPER_RECORD = b"makeCWrapper "
"""What starts the record a makeBinaryWrapper wrapper carries (model/exec/binarywrapper.py's
RECORD_START, tests/impl/host/test_learner.py holding the two the same): looked for here
without importing that module, which would delay the run this module starts."""


def plain_cpython(path: str) -> bool:
    """impl/host/world.py's looks_like_cpython, or stricter: an ELF file named python* that
    carries no makeBinaryWrapper record (a wrapper is small: a file over 1 MiB is not one;
    a small one with the record's first words is taken for one)."""
    if not os.path.basename(path).startswith("python"):
        return False
    try:
        handle = open(path, "rb")
    except OSError:
        return False
    with handle:
        head = handle.read(1 << 20)
        big = bool(handle.read(1))
    return head[:4] == b"\x7fELF" and (big or WRAPPER_RECORD not in head)


def identity_file(real_path: str) -> str:
    """Where impl/host/interpreters.py keeps the binary's identity (its cache_dir and
    _identity_file, written out here: importing that module is the cost this one avoids;
    tests/impl/host/test_learner.py holds the two to the same path)."""
    if os.name != "posix" or sys.platform == "darwin":
        import platformdirs

        base = platformdirs.user_cache_dir("prefixlab")
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        base = os.path.join(xdg if os.path.isabs(xdg) else os.path.expanduser("~/.cache"),
                            "prefixlab")
    from prefixlab.impl.host.filedigest import new_sha256  # loads no OpenSSL

    name = new_sha256(real_path.encode("utf-8", "surrogateescape")).hexdigest()
    return os.path.join(base, "identity", name + ".json")


def _known(real_path: str) -> bool:
    return os.path.exists(identity_file(real_path))


def _stat_key(path: str) -> StatKey | None:
    """impl/host/identity.py's stat_key, without importing it (dataclasses, the ELF reader)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class _Run:
    """A learner run started: the process (the leader of its own session) and the read ends
    of its stdout and stderr."""

    __slots__ = ("pid", "out", "err")

    def __init__(self, pid: int, out: int, err: int) -> None:
        self.pid, self.out, self.err = pid, out, err


def _start_run(real: str) -> None:
    key = _stat_key(real)
    if key is None:
        return
    # Spawned (posix_spawn, vfork-fast) without subprocess, whose imports would delay the
    # run and cost a cold build milliseconds: stdin /dev/null, stdout and stderr pipes, its
    # own session (killed with it if not taken), an empty environment.  The working
    # directory is not changed (posix_spawn cannot): -I keeps it off sys.path and nothing
    # in CODE opens a relative path.  Every other descriptor of this process is
    # close-on-exec (PEP 446).  -B: no bytecode written into the installation learned about.
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    try:
        pid = os.posix_spawn(real, [real, "-I", "-S", "-B", "-c", CODE], {}, setsid=True,
                             file_actions=[(os.POSIX_SPAWN_DUP2, null, 0),
                                           (os.POSIX_SPAWN_DUP2, out_w, 1),
                                           (os.POSIX_SPAWN_DUP2, err_w, 2)])
    except (OSError, NotImplementedError):  # no POSIX_SPAWN_SETSID: learn_constants runs it
        os.close(out_r)
        os.close(err_r)
        return
    finally:
        for fd in (out_w, err_w, null):
            os.close(fd)
    if not _runs:
        import atexit

        atexit.register(_discard)
    _runs[real] = (_Run(pid, out_r, err_r), key)


def _start_digest(real: str) -> None:
    import threading

    import hashlib  # noqa: F401  # what identify imports, imported here: two threads
    import mmap  # noqa: F401  # importing at once can deadlock on a circular import

    from prefixlab.impl.host import identity
    from prefixlab.impl.host.elf import ElfError

    found: list[tuple[StatKey, Identity]] = []

    def digest() -> None:
        before = identity.stat_key(real)
        try:
            result = identity.identify(real)
        except (ElfError, OSError):
            return
        if before is not None and identity.stat_key(real) == before:
            found.append((before, result))  # not rewritten while it was read
            for path, part in ((real, result.binary),
                               *zip(result.libraries, result.parts)):
                path = os.path.realpath(path)
                key = identity.stat_key(path)
                if key is not None and part:
                    _files[path] = (key, part)

    thread = threading.Thread(target=digest, name="prefixlab-digest", daemon=True)
    thread.start()
    _digests[real] = (thread, found)


def take_identity(real_path: str, key: StatKey) -> Identity | None:
    """The digest started for ``real_path``, if it was made of the file under the cheap key
    ``key`` (the caller's)."""
    started = _digests.pop(real_path, None)
    if started is None:
        return None
    thread, found = started
    thread.join()
    if not found or found[0][0] != key:
        return None
    return found[0][1]


def digests() -> dict[str, tuple[StatKey, str]]:
    """The SHA-256 (hex) of every file a digest taken has read, by real path, with the stat
    key the file had once read: a digest the caller may use for the file while its stat key
    is the same (a file rewritten during the read shows another key, or another digest)."""
    return dict(_files)


def take_run(real_path: str, timeout: float) -> tuple[str, str] | None:
    """The output (stdout, stderr) of the learner run started for ``real_path``, if the file
    is unchanged since and the run ended within ``timeout`` seconds; None when there is none
    (the caller runs it)."""
    started = _runs.pop(real_path, None)
    if started is None:
        return None
    run, key = started
    if _stat_key(real_path) != key:
        _kill(run)
        return None
    output = _collect(run, timeout)
    if output is None:
        _kill(run)
        return None
    return (output[0].decode("utf-8", "surrogateescape"),
            output[1].decode("utf-8", "surrogateescape"))


def _collect(run: _Run, timeout: float) -> tuple[bytes, bytes] | None:
    """Read the run's stdout and stderr to their end, then reap it; None when that takes
    longer than ``timeout`` seconds (the run is left to the caller to kill)."""
    import select
    import time

    deadline = time.monotonic() + timeout
    pieces: dict[int, list[bytes]] = {run.out: [], run.err: []}
    poller = select.poll()
    for fd in pieces:
        poller.register(fd, select.POLLIN)
    reading = set(pieces)
    while reading:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        for fd, _event in poller.poll(left * 1000):
            data = os.read(fd, 1 << 16)
            if data:
                pieces[fd].append(data)
            else:
                poller.unregister(fd)
                reading.discard(fd)
    while os.waitpid(run.pid, os.WNOHANG) == (0, 0):  # output ended: the run is ending
        if time.monotonic() > deadline:
            return None
        time.sleep(0.0005)
    _close(run)
    return b"".join(pieces[run.out]), b"".join(pieces[run.err])


def _close(run: _Run) -> None:
    for fd in (run.out, run.err):
        try:
            os.close(fd)
        except OSError:
            pass


def _kill(run: _Run) -> None:
    """Kill the run's whole session and reap it (a descendant that left the session is not
    waited for)."""
    try:
        os.killpg(run.pid, 9)  # SIGKILL, without importing signal (and enum with it)
    except OSError:
        pass
    try:
        os.waitpid(run.pid, 0)
    except OSError:
        pass
    _close(run)


def _discard() -> None:
    """What was started and not taken: killed (its whole group)."""
    while _runs:
        _kill(_runs.popitem()[1][0])
