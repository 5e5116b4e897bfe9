"""The CPython interpreters on this machine, and what each binary was built with.

Discovery looks in the usual places (pyenv, /usr/bin, /usr/local/bin, PATH, and the
``PREFIXLAB_PYTHONS`` list) and never assumes a version exists.  A binary's build constants
are learned by running it once in a neutral way (``-I -S``, empty environment, cwd ``/``) and
reading *compile-time* values (sysconfig's Makefile variables), never what the interpreter
derived at start-up (``sys.prefix`` and friends are exactly what prefixlab models).  Results
are cached by content: a digest of the binary and of its libpython (impl/host/identity.py),
computed again only when the binary's cheap key (device, inode, size, mtime, ctime) or a path
looked at to find libpython changed.  Every entry carries a digest of its own content and is
learned again when it does not match.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import re
import stat as stat_module
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from prefixlab.model.errors import BadInput
from prefixlab.impl.host.account import host_account
from prefixlab.impl.host.elf import ElfError
from prefixlab.impl.host.identity import (Identity, StatKey, identify, key_of,
                                          own_digest, stat_key)
from prefixlab.impl.host import filedigest, learner
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.speedups import dataclass, field_names, replace
from prefixlab.model.world.build import BuildConstants, Version, in_scope
from prefixlab.model.world import World

if TYPE_CHECKING:
    import subprocess

# A warm prediction reads its interpreter's constants from the cache and runs nothing: what
# only learning, discovery or running a binary needs (ast, ctypes, glob, shutil, signal,
# subprocess, tempfile, platformdirs, OpenSSL's hashlib) is imported where it is used.

PYTHONS_ENV = "PREFIXLAB_PYTHONS"
"""Extra interpreters to consider: an os.pathsep-separated list of paths (or names on PATH)."""

CACHE_SCHEMA = 3  # 3: entries named by content digest, each with a check of its content
LEARN_TIMEOUT = 30.0
LEARNING: contextvars.ContextVar[bool] = contextvars.ContextVar("prefixlab_learning",
                                                                default=True)
"""False: no binary is run to learn its constants (predict --no-learn): only cached ones are
used, and a binary without them is left out (InterpreterError, which says so)."""
_MARKER = "PREFIXLAB-CONSTANTS:"

# Names that are interpreters (python3.13t is a free-threaded build); python3.6m is a hard
# link to python3.6, python3.X-config a shell script and python3.X-gdb.py a gdb helper.
_VERSIONED = re.compile(r"python3\.\d+t?$")
_PYENV_NAMES = re.compile(r"python(3\.\d+t?|2|2\.\d+)$")
_PATH_NAMES = re.compile(r"python3(\.\d+t?)?$")

# What a binary runs to tell its build constants: impl/host/learner.py (where a cold build
# venv starts it early).
CODE = learner.CODE


class InterpreterError(BadInput):
    """A binary whose build constants cannot be learned (one line saying why)."""


@dataclass(frozen=True)
class Interpreter:
    path: str
    """As found, e.g. /root/.pyenv/versions/3.12.1/bin/python3.12."""
    real_path: str
    """os.path.realpath(path)."""
    version: tuple[int, int, int] | None
    source: str
    """'pyenv' | 'system' | 'PATH' | 'PREFIXLAB_PYTHONS'."""
    in_scope: bool
    """3.8 <= version <= 3.14 (prefixlab.model.world.build.in_scope)."""
    reason: str
    """'' or why it is out of scope / why it failed to run."""
    constants: BuildConstants | None
    """The build constants of an in-scope interpreter; None otherwise."""


# -- the cache --------------------------------------------------------------------------------
def cache_dir() -> str:
    """Where prefixlab keeps what it learned about this machine: platformdirs'
    user_cache_dir('prefixlab'), which on Linux is the XDG base directory rule, written out
    here so that a prediction need not import platformdirs (and pathlib with it)."""
    if os.name != "posix" or sys.platform == "darwin":
        import platformdirs

        return platformdirs.user_cache_dir("prefixlab")
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not os.path.isabs(base):
        base = os.path.expanduser("~/.cache")
    return os.path.join(base, "prefixlab")


def _sha256(data: bytes) -> str:
    """The SHA-256 of ``data`` in hex (impl/host/filedigest.py's, which loads no OpenSSL)."""
    return filedigest.new_sha256(data).hexdigest()


def _identity_file(real_path: str) -> str:
    name = _sha256(real_path.encode("utf-8", "surrogateescape"))
    return os.path.join(cache_dir(), "identity", name + ".json")


def _cache_file(digest: str) -> str:
    return os.path.join(cache_dir(), "constants", digest + ".json")


def _copies_file(binary_digest: str) -> str:
    """The index of learned builds by the digest of their binary alone (its copies)."""
    return os.path.join(cache_dir(), "binaries", binary_digest + ".json")


def _learner_id() -> str:
    """Identifies what a cache entry was learned with: the code run and the fields kept (an
    entry from another prefixlab version is learned again).  Worked out once."""
    global _LEARNER_ID
    if _LEARNER_ID is None:
        names = ",".join(field_names(BuildConstants))
        _LEARNER_ID = _sha256(f"{CACHE_SCHEMA}\0{CODE}\0{names}".encode())[:16]
    return _LEARNER_ID


_LEARNER_ID: str | None = None


def _seal(data: dict[str, Any]) -> dict[str, Any]:
    """The entry with a digest of its own content: an entry edited, damaged or written by
    someone else is not trusted (it is learned again)."""
    return {**data, "check": _check(data)}


def _check(data: Mapping[str, Any]) -> str:
    text = json.dumps({k: v for k, v in data.items() if k != "check"}, sort_keys=True)
    return _sha256(text.encode("ascii"))


def _read_sealed(path: str) -> dict[str, Any] | None:
    """The entry at ``path`` if it is whole and unedited, else None."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("check") != _check(data):
        return None
    return data


def _unchanged(real_path: str, key: StatKey, own: str) -> StatKey | None:
    """The binary's cheap key now, if it is still the binary that had ``key`` and whose own
    bytes digest to ``own``: the same key, or one that differs in the change time alone with
    the same bytes (a hard link to it made or removed elsewhere changes its ctime, not the
    binary; a rewrite in place with its mtime set back changes the bytes).  None otherwise."""
    now = stat_key(real_path)
    if now == key:
        return now
    if now is None or now[:4] != key[:4] or not own or own_digest(real_path) != own:
        return None
    return now


def _cached_identity(real_path: str, key: StatKey) -> Identity | None:
    """The binary's content identity as last digested, if neither the binary (its cheap key,
    or its own bytes when only its ctime changed) nor any path looked at to find its
    libpython has changed since (by their cheap keys)."""
    data = _read_sealed(_identity_file(real_path))
    try:
        if data is None or data["learner"] != _learner_id() or data["binary"] != real_path:
            return None
        was = tuple(data["key"])
        if was != key and (len(was) != 5 or _unchanged(real_path, was, str(data["own"]))
                           != key):
            return None
        for path, was in data["probed"]:
            if stat_key(path) != (None if was is None else tuple(was)):
                return None
        return Identity(str(data["digest"]), tuple(data["libraries"]),
                        tuple(path for path, _ in data["probed"]), str(data["own"]),
                        tuple(data["missing"]))
    except (KeyError, TypeError, ValueError):
        return None


def _binary_identity(binary: str, real_path: str, use_cache: bool) -> tuple[Identity, StatKey]:
    """The content identity of ``real_path`` and the cheap key it was found under: digested
    again only when the cheap key (which holds the ctime) or a probed path changed."""
    try:
        key = key_of(os.stat(real_path))
    except OSError as error:
        raise InterpreterError(f"{binary}: cannot be read ({error.strerror})") from None
    found = _cached_identity(real_path, key) if use_cache else None
    if found is not None:
        return found, key
    try:
        found = learner.take_identity(real_path, key) or identify(real_path)
    except ElfError as error:
        raise InterpreterError(f"{binary}: cannot be digested ({error})") from None
    if _unchanged(real_path, key, found.binary) is not None:  # not rewritten while read
        entry = {"learner": _learner_id(), "binary": real_path, "key": list(key),
                 "digest": found.digest, "libraries": list(found.libraries),
                 "own": found.binary, "missing": list(found.missing),
                 "probed": [[p, stat_key(p)] for p in found.probed]}
        with contextlib.suppress(OSError):
            _write_json(_identity_file(real_path), _seal(entry))
    return found, key


def _read_cache(path: str, digest: str) -> BuildConstants | None:
    """The cached constants, or None when absent or unusable (it is then learned again)."""
    data = _read_sealed(path)
    try:
        if data is None or data.get("learner") != _learner_id() or data["digest"] != digest:
            return None
        fields = dict(data["constants"])
        fields["version"] = tuple(fields["version"])
        for name in ("builtin_modules", "frozen_always", "extension_suffixes"):
            fields[name] = tuple(fields.get(name, ()))
        fields["frozen_modules"] = tuple(tuple(f) for f in fields.get("frozen_modules", ()))
        return BuildConstants(**fields)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _write_cache(path: str, digest: str, real_path: str, constants: BuildConstants) -> None:
    # "learned_from" is for people reading the cache: a copy elsewhere uses the entry too.
    _write_json(path, _seal({"schema": CACHE_SCHEMA, "learner": _learner_id(),
                             "digest": digest, "learned_from": real_path,
                             "constants": {name: getattr(constants, name)
                                           for name in field_names(BuildConstants)}}))


def _write_json(path: str, data: dict[str, Any]) -> None:
    """Write atomically (temp file + rename), so a reader never sees half a file.  The
    temp file is made as tempfile.mkstemp makes one (a new random name, O_EXCL, mode 0600),
    without importing tempfile (shutil and random with it: milliseconds of a cold build)."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    while True:
        temp = os.path.join(directory, f".tmp-{os.urandom(8).hex()}.json")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)  # ensure_ascii keeps surrogates
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


# -- learning the constants -------------------------------------------------------------------
def learn_constants(binary: str, *, use_cache: bool = True) -> BuildConstants:
    """The build constants of the interpreter at ``binary`` (run once, then cached).

    The cache is keyed by the content of the binary and of its libpython
    (impl/host/identity.py), so a copy of a known interpreter elsewhere is recognised
    without running it: every field of BuildConstants is a fact of the build (configure's
    PREFIX, not where the binary is), the same wherever the copy lies.  A copy whose
    libpython the loader finds nowhere cannot be run at all: it is recognised by the digest
    of its binary alone (_copy_of_known), and its constants name the library it misses.
    Raises InterpreterError (one line naming the binary) when it cannot be run or does not
    report them.  ``use_cache=False`` skips reading the cache (the result is still written).
    """
    real_path = os.path.realpath(binary)
    found, key = _binary_identity(binary, real_path, use_cache)
    cache_path = _cache_file(found.digest)
    if use_cache:
        cached = _read_cache(cache_path, found.digest)
        if cached is not None:
            if found.libraries and not found.missing:
                with contextlib.suppress(OSError):  # learned before copies were indexed
                    _index_copy(found)
            return _placed(cached, found)
    if found.missing:
        copied = _copy_of_known(binary, found)
        if copied is not None:
            return copied
    constants = _constants_from(binary, _run_learner(binary, real_path))
    if _unchanged(real_path, key, found.binary) is not None:  # what ran was digested
        with contextlib.suppress(OSError):  # an unwritable cache only costs a re-run
            _write_cache(cache_path, found.digest, real_path, constants)
            if found.libraries and not found.missing:
                _index_copy(found)
    return _placed(constants, found)


def _copy_of_known(binary: str, found: Identity) -> BuildConstants | None:
    """The constants of a binary whose libpython the loader finds nowhere from where it
    lies, recognised by its own bytes as a copy of a build learned before (``python -m venv
    --copies`` of a build with RUNPATH $ORIGIN/../lib copies the binary, not the library).
    It cannot be run: ld.so stops before main, so the constants are the original's (the
    compiled-in PREFIX is in the same bytes), with the library it misses and none loaded.
    None when no learned build has this binary; InterpreterError when several do and they
    disagree (which one it was built as cannot be told without its library)."""
    data = _read_sealed(_copies_file(found.binary))
    if data is None or data.get("learner") != _learner_id() or data.get("own") != found.binary:
        return None
    candidates = []
    for digest in data.get("digests", ()):
        if isinstance(digest, str):
            cached = _read_cache(_cache_file(digest), digest)
            if cached is not None:
                candidates.append(replace(cached, library=None))
    if not candidates:
        return None
    if any(c != candidates[0] for c in candidates[1:]):
        versions = ", ".join(sorted({c.version_text + " at " + c.prefix for c in candidates}))
        raise InterpreterError(f"{binary}: its {found.missing[0]} is found nowhere, and its "
                               f"binary is that of several known builds ({versions})")
    return replace(candidates[0], missing_library=found.missing[0])


def _index_copy(found: Identity) -> None:
    """Note the learned build under the digest of its binary alone (see _copy_of_known)."""
    path = _copies_file(found.binary)
    data = _read_sealed(path)
    digests: list[str] = []
    if data is not None and data.get("learner") == _learner_id() \
            and data.get("own") == found.binary and isinstance(data.get("digests"), list):
        digests = [d for d in data["digests"] if isinstance(d, str)]
    if found.digest not in digests:
        _write_json(path, _seal({"learner": _learner_id(), "own": found.binary,
                                 "digests": [*digests, found.digest]}))


def _placed(constants: BuildConstants, found: Identity) -> BuildConstants:
    """The constants of the binary where it lies.  One field depends on the place: the
    libpython the loader gives it (dladdr's answer, BuildConstants.library), which a
    RUNPATH of $ORIGIN makes follow the binary; sysconfig's LIBDIR names where the build
    was installed.  It is the path as the loader forms it (``bin/../lib`` unresolved)."""
    if constants.shared and found.libraries:
        return replace(constants, library=found.libraries[0])
    return constants


def _run_learner(binary: str, real_path: str) -> dict[str, Any]:
    """Run CODE in the binary: isolated (-I) where the option exists, else -E -s (2.7).
    Not run when it would block at start-up on a FIFO (InterpreterError at once)."""
    if not LEARNING.get():
        raise InterpreterError(f"{binary}: its build constants are not cached, and --no-learn "
                               "forbids running it to learn them")
    fifo = blocking_start_file(real_path)
    if fifo is not None:
        raise InterpreterError(f"{binary}: cannot be run to learn its build: {fifo} is a FIFO, "
                               "which it would wait on at start-up")
    # -B: learning must not leave bytecode in the installation it learns about.
    stdout, stderr = learner.take_run(real_path, LEARN_TIMEOUT) or \
        _run(binary, [real_path, "-I", "-S", "-B", "-c", CODE])
    if _MARKER not in stdout and "Unknown option: -I" in stderr:
        stdout, stderr = _run(binary, [real_path, "-E", "-s", "-S", "-B", "-c", CODE])
    for line in stdout.splitlines():
        if line.startswith(_MARKER):
            return _parse_facts(binary, line[len(_MARKER):])
    last = stderr.strip().splitlines()[-1:] or ["no output"]
    raise InterpreterError(f"{binary}: did not report its build constants ({last[0][:200]})")


def _run(binary: str, args: list[str]) -> tuple[str, str]:
    import subprocess

    try:
        code, stdout, stderr = run_contained(args, timeout=LEARN_TIMEOUT, env={}, cwd="/")
    except subprocess.TimeoutExpired:
        raise InterpreterError(f"{binary}: did not finish within {LEARN_TIMEOUT:g}s") from None
    except OSError as error:
        raise InterpreterError(f"{binary}: cannot be run ({error.strerror})") from None
    return (stdout.decode("utf-8", "surrogateescape"),
            stderr.decode("utf-8", "surrogateescape"))


def blocking_start_file(real_path: str) -> str | None:
    """A file the interpreter at ``real_path`` reads at every start, even under -I -S, that
    is a FIFO (opening it waits for a writer, so the learner would wait its whole timeout):
    getpath.py (3.11+) reads ``<executable>._pth``, and getpath reads pyvenv.cfg beside the
    executable and one directory up (Modules/getpath.py, getpath.c 3.8-3.10)."""
    directory = os.path.dirname(real_path)
    for path in (real_path + "._pth", os.path.join(os.path.dirname(directory), "pyvenv.cfg"),
                 os.path.join(directory, "pyvenv.cfg")):
        try:
            if stat_module.S_ISFIFO(os.stat(path).st_mode):
                return path
        except OSError:
            continue
    return None


# -- subprocesses that die with prefixlab -------------------------------------------------------
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_libc: Any = None


def _die_with(parent: int) -> Callable[[], None]:
    """preexec_fn: ask the kernel to SIGKILL the child when prefixlab dies (prctl(2)
    PR_SET_PDEATHSIG, Linux), then check prefixlab did not die before that took effect."""
    import signal

    libc = _libc_handle()

    def apply() -> None:
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(127)
    return apply


def _libc_handle() -> Any:
    """libc through ctypes, loaded in prefixlab (never in the forked child); None where
    there is no prctl (not Linux)."""
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        import ctypes

        try:
            _libc = ctypes.CDLL(None, use_errno=True)
            _libc.prctl  # noqa: B018  # a missing symbol raises here, not in the child
        except (OSError, AttributeError):
            _libc = False
    return _libc or None


def run_contained(args: list[str], *, timeout: float, env: Mapping[str, str],
                  cwd: str, executable: str | None = None) -> tuple[int, bytes, bytes]:
    """Run ``args`` to the end, its output captured, so that it cannot outlive prefixlab: in
    its own process group (killed whole on timeout, on an exception such as
    KeyboardInterrupt, and at exit), and with a parent-death signal (so a SIGKILL of
    prefixlab takes it too).  ``executable`` is the file to execute when argv[0] names
    another.  Raises OSError, or subprocess.TimeoutExpired holding what the process wrote
    before it was killed."""
    import subprocess

    process = subprocess.Popen(args, executable=executable, env=dict(env), cwd=cwd,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True,
                               preexec_fn=_die_with(os.getpid()))
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stdout, stderr = _kill_group(process)
        raise subprocess.TimeoutExpired(args, timeout, output=stdout, stderr=stderr) from None
    except BaseException:
        _kill_group(process)
        raise
    return process.returncode, stdout, stderr


def _kill_group(process: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """Kill the process's group; what it wrote (communicate keeps what it read before)."""
    import signal
    import subprocess

    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        stdout, stderr = process.communicate(timeout=5)
        return stdout or b"", stderr or b""
    except (OSError, subprocess.SubprocessError):
        return b"", b""  # a descendant outside the group holds the pipes open
    finally:
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            process.wait(timeout=5)  # reaped: no zombie left


def _parse_facts(binary: str, text: str) -> dict[str, Any]:
    import ast

    try:
        facts = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise InterpreterError(f"{binary}: printed unreadable build constants") from None
    if not isinstance(facts, dict):
        raise InterpreterError(f"{binary}: printed unreadable build constants")
    return facts


def _constants_from(binary: str, facts: dict[str, Any]) -> BuildConstants:
    version = facts.get("version")
    if not (isinstance(version, tuple) and len(version) == 3
            and all(isinstance(n, int) for n in version)):
        raise InterpreterError(f"{binary}: reported no version")
    prefix, exec_prefix = facts.get("prefix"), facts.get("exec_prefix")
    if not isinstance(prefix, str) or not isinstance(exec_prefix, str):
        raise InterpreterError(f"{binary}: its sysconfig has no prefix/exec_prefix")
    shared = _is_shared(facts)
    return BuildConstants(
        version=(version[0], version[1], version[2]),
        prefix=prefix,
        exec_prefix=exec_prefix,
        platlibdir=_text(facts.get("PLATLIBDIR")) or "lib",  # 3.8 has none: always lib
        vpath=_text(facts.get("VPATH")),
        pythonpath=_text(facts.get("PYTHONPATH")),
        abi_thread="t" if facts.get("Py_GIL_DISABLED") else "",
        os_name="darwin" if facts.get("platform") == "darwin" else "posix",
        flavour="debian" if facts.get("dist_packages") else "upstream",
        shared=shared,
        library=_library(facts) if shared else None,
        debug=bool(facts.get("Py_DEBUG")),
        abiflags=_text(facts.get("abiflags")) or _text(facts.get("ABIFLAGS")),
        srcdir=_text(facts.get("srcdir")) or ".",
        builtin_modules=_names(facts.get("builtin_modules")),
        frozen_modules=tuple((str(n), str(o), bool(p)) for n, o, p
                             in facts.get("frozen_modules") or ()),
        frozen_always=_names(facts.get("frozen_always")),
        extension_suffixes=_names(facts.get("extension_suffixes")),
    )


def _names(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, tuple) else ()


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _is_shared(facts: Mapping[str, Any]) -> bool:
    """Py_ENABLE_SHARED, unless the process map shows no libpython (a static binary shipped
    with a shared build's sysconfig, as Debian's /usr/bin/python3.X)."""
    if not facts.get("Py_ENABLE_SHARED"):
        return False
    mapped = facts.get("mapped_libpython")
    return mapped is None or bool(mapped)


def _library(facts: Mapping[str, Any]) -> str | None:
    libdir = _text(facts.get("LIBDIR"))
    name = _text(facts.get("INSTSONAME")) or _text(facts.get("LDLIBRARY"))
    return f"{libdir}/{name}" if libdir and name else None


# -- discovery --------------------------------------------------------------------------------
def discover(env: Mapping[str, str] | None = None, *, use_cache: bool = True
             ) -> list[Interpreter]:
    """Every distinct interpreter (by real path) found here, sorted by version.

    Out-of-scope ones (older than 3.8, newer than the model) and ones that fail to run are
    listed too, with ``in_scope`` false and a reason.
    """
    environ = os.environ if env is None else env
    found: dict[str, Interpreter] = {}
    for path, source in candidates(environ):
        real_path = os.path.realpath(path)
        if real_path in found:
            continue
        interp = examine(path, real_path, source, use_cache)
        if interp is not None:
            found[real_path] = interp
    return sorted(found.values(), key=_order)


def _order(interp: Interpreter) -> tuple[int, tuple[int, ...], str]:
    return (interp.version is None, interp.version or (), interp.path)


def candidates(env: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """Where interpreters are looked for, in discovery's order: (path, source) of every
    candidate, nothing read or run (several may lead to one real path)."""
    import glob

    home = env.get("HOME") or os.path.expanduser("~")
    pyenv = env.get("PYENV_ROOT") or os.path.join(home, ".pyenv")
    pattern = os.path.join(glob.escape(pyenv), "versions", "*", "bin", "*")
    # The binary itself before the links to it (python2.7 before python2), so that the
    # path reported for a deduplicated interpreter is its own name.
    for path in sorted(glob.glob(pattern), key=lambda p: (os.path.dirname(p),
                                                          os.path.islink(p), p)):
        if _PYENV_NAMES.match(os.path.basename(path)):
            yield path, "pyenv"
    for directory in ("/usr/bin", "/usr/local/bin"):
        yield from ((p, "system") for p in _names_in(directory, _VERSIONED))
    for directory in env.get("PATH", "").split(os.pathsep):
        if directory and not _is_shim_dir(directory):
            yield from ((p, "PATH") for p in _names_in(directory, _PATH_NAMES))
    for item in env.get(PYTHONS_ENV, "").split(os.pathsep):
        if item:
            yield _which(item, env), PYTHONS_ENV


def _names_in(directory: str, pattern: re.Pattern[str]) -> list[str]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return sorted(os.path.join(directory, n) for n in names if pattern.match(n))


def _is_shim_dir(directory: str) -> bool:
    # pyenv's shims are bash scripts that re-exec the selected version: not interpreters.
    return os.path.basename(os.path.normpath(directory)) == "shims"


def _which(item: str, env: Mapping[str, str]) -> str:
    if "/" in item:
        return item
    import shutil

    return shutil.which(item, path=env.get("PATH", os.defpath)) or item


def examine(path: str, real_path: str, source: str, use_cache: bool) -> Interpreter | None:
    """The Interpreter for a candidate; None for things that are plainly not interpreters
    (a listed PREFIXLAB_PYTHONS entry always gets one, with the reason it is unusable)."""
    def unusable(reason: str) -> Interpreter:
        return Interpreter(path, real_path, None, source, False, reason, None)

    problem = _not_a_binary(real_path)
    if problem:
        return unusable(f"{path}: {problem}") if source == PYTHONS_ENV else None
    try:
        constants = learn_constants(path, use_cache=use_cache)
    except InterpreterError as error:
        return unusable(str(error))
    if constants.missing_library is not None:  # a copy that cannot start where it lies
        return unusable(f"{path}: cannot start: the dynamic loader finds no "
                        f"{constants.missing_library} for it (a copy of CPython "
                        f"{constants.version_text} without its library)")
    version = constants.version
    if not in_scope(version):
        return Interpreter(path, real_path, version, source, False,
                           _scope_reason(version), None)
    return Interpreter(path, real_path, version, source, True, "", constants)


def _not_a_binary(real_path: str) -> str:
    """Why ``real_path`` cannot be an interpreter binary, or ''."""
    if not os.path.lexists(real_path):
        return "does not exist"
    if not os.path.exists(real_path):
        return "is a broken or looping symbolic link"
    if not os.path.isfile(real_path):
        return "is not a regular file"
    if not os.access(real_path, os.X_OK):
        return "is not executable"
    try:
        with open(real_path, "rb") as handle:
            head = handle.read(2)
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if head == b"#!":
        return "is a script (a shim or wrapper), not an interpreter binary"
    try:
        with open(real_path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    from prefixlab.model.exec.binarywrapper import read_binary

    if read_binary(data) is not None:  # nixpkgs' makeBinaryWrapper embeds its command line
        return "is a compiled wrapper (makeBinaryWrapper), not an interpreter binary"
    return ""


def _scope_reason(version: Version) -> str:
    text = "%d.%d.%d" % version
    if version < (3, 8, 0):
        return f"CPython {text} is older than 3.8: out of scope"
    return f"CPython {text} is newer than the model covers: out of scope"


# -- the host as a model world ----------------------------------------------------------------
def host_world(*, use_cache: bool = True, extra: Iterable[str] = (),
               errors: list[str] | None = None) -> World:
    """This machine as the model sees it: the real filesystem and every in-scope
    interpreter's build constants (plus those of ``extra`` binaries), by real path.

    An extra binary whose constants cannot be learned is left out (the model then says
    not-modelled for it) and the others still count; its one-line reason is appended to
    ``errors`` when a list is given."""
    builds: dict[str, BuildConstants] = {
        interp.real_path: interp.constants
        for interp in discover(use_cache=use_cache) if interp.constants is not None
    }
    for binary in extra:
        try:
            builds[os.path.realpath(binary)] = learn_constants(binary, use_cache=use_cache)
        except InterpreterError as error:
            if errors is not None:
                errors.append(str(error))
    return World(fs=Snapshot("/"), builds=builds, account=host_account())
