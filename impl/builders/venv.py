"""`prefixlab build venv TARGET --python INTERPRETER`: a PEP 405 venv without running
INTERPRETER's venv module (model/builders/venv.py plans it, impl/builders/writer.py writes it).

What is learned about INTERPRETER -- the model's outcome for it (through links, wrappers,
pyenv shims, other venvs), its build constants, its own activation scripts, and the home the
planner verified -- is cached in prefixlab's cache directory, keyed by the request (the
--python argument, options; prefixlab's own source files), and its validity rests on what
the answer read, checked on use: every file, link and directory the learning looked at
(kind, mode, link target; size, device, inode, mtime and ctime for files; the libpython each
binary loads and the places the loader looks for it), the listings of the directories it
enumerated (site-packages for .pth files, the activation templates, sys.path entries searched
for modules), and the variables and working directory it read.  An absolute --python the
kernel executes as the interpreter itself reads no working directory and only the variables
a start reads (:func:`start_env`): it is learned from / with those, so a new working directory
or an unrelated variable leaves the entry valid; a relative path, a name on PATH, a script,
wrapper or shim is learned per working directory and environment.  The home verified for one
TARGET serves the next (it does not depend on where the venv is): the directories on the way
to TARGET are not part of the entry.  Each entry carries a digest of its own content: an
edited or damaged one is learned again.  A warm build therefore neither runs the
interpreter nor imports the model's start-up code: it plans and writes.

In-process API: :func:`plan_venv` (learn, then plan; nothing written) and :func:`build_venv`
(plan and write); to time planning and writing alone, :func:`learn` once, then
:func:`plan_for` (pure) and :func:`write` (the one writer).  The command line is
impl/cli/build_venv.py.
"""

from __future__ import annotations

import marshal
import os
import stat
TYPE_CHECKING = False  # typing stays off a warm build's start-up (model/speedups.py)

# one cache machinery for both builders (impl/builders/learncache.py)
from prefixlab.impl.builders.learncache import VOLATILE_ENV, cache_dir, code_state, code_unchanged
from prefixlab.impl.builders.learncache import digest as _digest
from prefixlab.impl.builders.learncache import entry_state as _entry_state
from prefixlab.impl.builders.learncache import seal_digest as _seal_digest
from prefixlab.model.builders.plan import Operation
from prefixlab.model.errors import BadInput
from prefixlab.model.trace import RULES, Step, values_json
from prefixlab.model.builders.venv import (Home, Options, Source, Template, VenvPlan, VenvPlanError,
                                      VenvRules, plan, shell_quote)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from typing import Any

    from prefixlab.model.builders.venv import Quoting

    from prefixlab.impl.host.snapshot import Snapshot
    from prefixlab.model.outcome import Outcome
    from prefixlab.model.world import World

__all__ = ["BuildVenvError", "Built", "Learned", "Options", "build_venv", "command_line",
           "learn", "plan_for", "plan_venv", "write"]

CACHE_FORMAT = 4  # 3: what an answer read of the working directory and environment;
# 4: the code judged by the modules the learning ran (learncache.code_state)
_SEAL = b"prefixlab-venv-cache\n"


class BuildVenvError(BadInput):
    """The venv cannot be built: one line naming what is wrong (exit status 2)."""


class InterpreterUnusable(BuildVenvError):
    """--python cannot be executed or would not start (a version request found on PATH as a
    command that fails, such as a pyenv shim of a version not selected, may then be chosen
    among the interpreters found here instead)."""


class Learned:
    """What the planner needs about INTERPRETER for one TARGET and options (a plain class:
    the warm path keeps its imports few)."""

    __slots__ = ("source", "home", "cached")

    def __init__(self, source: Source, home: Home, cached: bool = False) -> None:
        self.source, self.home, self.cached = source, home, cached


class Built:
    """What a finished build used and wrote, for its summary (impl/cli/build_venv.py): what
    was learned about INTERPRETER, TARGET made absolute, the plan, and the operations
    written (with --upgrade only those it writes again)."""

    __slots__ = ("learned", "target", "plan", "written")

    def __init__(self, learned: Learned, target: str, plan: VenvPlan,
                 written: Sequence[Operation]) -> None:
        self.learned, self.target, self.plan, self.written = learned, target, plan, written


# -- the API -------------------------------------------------------------------------------------
def plan_venv(python: str, target: str, options: Options = Options(), *,
              command: str | None = None, use_cache: bool = True, cwd: str | None = None,
              env: Mapping[str, str] | None = None, clear: bool = False,
              upgrade: bool = False) -> VenvPlan:
    """The plan for a venv at ``target`` of the interpreter ``python`` (a path or a name on
    PATH), learned from the cache when it is still valid.  Raises BuildVenvError.
    ``clear`` and ``upgrade`` only change the command line recorded in pyvenv.cfg."""
    here = os.getcwd() if cwd is None else cwd
    environ = dict(os.environ if env is None else env)
    absolute = _check_target(target, here)
    return _plan_at(python, absolute, options, command=command, use_cache=use_cache, cwd=here,
                    env=environ, clear=clear, upgrade=upgrade)[1]


def _plan_at(python: str, absolute: str, options: Options, *, command: str | None,
             use_cache: bool, cwd: str, env: Mapping[str, str], clear: bool,
             upgrade: bool) -> tuple[Learned, VenvPlan]:
    learned = learn(python, absolute, options, cwd=cwd, env=env, use_cache=use_cache)
    if command is None:
        if options.stdlib_compatible:
            command = stdlib_command_line(learned.source, absolute, options, clear=clear,
                                          upgrade=upgrade)
        else:
            command = command_line(python, absolute, options, clear=clear, upgrade=upgrade)
    return learned, plan_for(learned, absolute, options, cwd, command)


def plan_for(learned: Learned, target: str, options: Options, cwd: str, command: str
             ) -> VenvPlan:
    """The plan from what was learned (pure; this is the part timed as 'planning')."""
    try:
        return plan(learned.source, learned.home, options, target,
                    cwd_name=os.path.basename(cwd), command=command)
    except VenvPlanError as error:
        raise BuildVenvError(str(error)) from None


def build_venv(python: str, target: str, options: Options = Options(), *, force: bool = False,
               command: str | None = None, use_cache: bool = True, cwd: str | None = None,
               env: Mapping[str, str] | None = None,
               warn: Callable[[str], None] | None = None, clear: bool = False,
               upgrade: bool = False, allow_existing: bool = False,
               on_built: Callable[[Built], None] | None = None) -> VenvPlan:
    """Plan and write the venv (atomically: staging beside TARGET, then one rename).
    Without ``force`` an existing TARGET is an error and is left untouched.  ``warn`` hears
    the writer's warnings (entries beside TARGET under a staging name that are not
    prefixlab's).  Missing directories above TARGET are created (as stdlib venv's
    os.makedirs does) and removed again if the build fails.

    ``clear`` is stdlib venv's --clear: what stands at TARGET is replaced as ``force`` replaces
    it.  ``upgrade`` (stdlib's --upgrade) rewrites, in an existing venv, its directories,
    pyvenv.cfg, .gitignore and bin/python* entries, never its activation scripts or anything
    else.  ``allow_existing`` (uv's --allow-existing) writes every file of the venv into an
    existing directory in place, keeping whatever else it holds (stdlib venv's default).
    ``on_built`` hears, once the venv is in place, what the build used and wrote (:class:`Built`,
    for a summary)."""
    check_modes(force=force, clear=clear, upgrade=upgrade, allow_existing=allow_existing)
    force = force or clear
    here = os.getcwd() if cwd is None else cwd
    absolute = _check_target(target, here, need_parent=False)
    in_place = _in_place(absolute, upgrade=upgrade, allow_existing=allow_existing)
    if not in_place:
        _preflight(absolute, force)
    environ = dict(os.environ if env is None else env)
    made = _make_parents(absolute)
    try:
        learned, planned = _plan_at(python, absolute, options, command=command,
                                    use_cache=use_cache, cwd=here, env=environ, clear=clear,
                                    upgrade=upgrade)
        written = _upgrade_ops(planned.operations) if upgrade else planned.operations
        if in_place:
            write_in_place(written, absolute)
        else:
            write(written, absolute, force=force, warn=warn)
    except BaseException:
        _remove_made(made)
        raise
    if on_built is not None:
        on_built(Built(learned, absolute, planned, written))
    return planned


def check_modes(*, force: bool, clear: bool, upgrade: bool, allow_existing: bool) -> None:
    """The ways of writing TARGET that exclude each other (BuildVenvError)."""
    if clear and upgrade:  # Lib/venv/__init__.py main(), 3.8-3.13
        raise BuildVenvError("you cannot supply --upgrade and --clear together")
    if allow_existing and (force or clear):
        raise BuildVenvError("--allow-existing keeps what is in TARGET; --force and --clear "
                             "replace it: choose one")


def _in_place(target: str, *, upgrade: bool, allow_existing: bool) -> bool:
    """Is the venv written into the directory at TARGET (--upgrade, --allow-existing)?"""
    if not (upgrade or allow_existing):
        return False
    if os.path.islink(target):  # written through, it would write where the link points
        raise BuildVenvError(f"{target}: a symbolic link; --upgrade and --allow-existing "
                             "write only into a directory at TARGET itself")
    is_dir = os.path.isdir(target)
    if upgrade:
        if not (is_dir and os.path.isfile(os.path.join(target, "pyvenv.cfg"))):
            raise BuildVenvError(f"{target}: --upgrade: not a venv (no pyvenv.cfg), nothing "
                                 "to upgrade")
        return True
    if os.path.lexists(target) and not is_dir:
        raise BuildVenvError(f"{target}: --allow-existing: already exists and is not a "
                             "directory")
    return is_dir


def _make_parents(target: str) -> list[str]:
    """Create the missing directories above TARGET (stdlib venv and uv do); the ones made,
    outermost first."""
    missing: list[str] = []
    parent = os.path.dirname(target)
    while not os.path.lexists(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    made: list[str] = []
    for directory in reversed(missing):
        try:
            os.mkdir(directory)
        except FileExistsError:
            continue
        except OSError as error:
            _remove_made(made)
            raise BuildVenvError(f"{directory}: cannot create the directory TARGET goes in "
                                 f"({error.strerror})") from None
        made.append(directory)
    if not os.path.isdir(os.path.dirname(target)):
        _remove_made(made)
        raise BuildVenvError(f"{os.path.dirname(target)}: the place TARGET goes in is not a "
                             "directory")
    return made


def _remove_made(made: list[str]) -> None:
    """Remove the directories _make_parents made, innermost first, when empty: a failed
    build leaves nothing, and never removes what someone else put there meanwhile."""
    for directory in reversed(made):
        try:
            os.rmdir(directory)
        except OSError:
            return


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _upgrade_ops(operations: Sequence[Operation]) -> list[Operation]:
    """What stdlib's --upgrade writes again (EnvBuilder.create with upgrade: directories,
    .gitignore, pyvenv.cfg, setup_python's bin entries; no setup_scripts)."""
    from prefixlab.model.builders.plan import Mkdir

    keep: list[Operation] = []
    for op in operations:
        name = op.path.rpartition("/")[2]
        if isinstance(op, Mkdir) or op.path in ("pyvenv.cfg", ".gitignore", "lib64") \
                or (op.path.startswith("bin/") and op.path.count("/") == 1
                    and name.startswith("python")):
            keep.append(op)
    return keep


def write_in_place(operations: Sequence[Operation], target: str) -> None:
    """Write the plan into the existing directory TARGET, entry by entry: directories are
    made where missing, each planned file and link is written beside its name and renamed
    over it (so a reader sees the old entry or the new one); nothing else in TARGET is
    touched or removed.  A planned name held by an entry of another kind (a directory where
    a file goes) is a BuildVenvError naming it, and so is a symbolic link where a directory
    goes: nothing is written outside TARGET through a link."""
    from prefixlab.model.builders.plan import Mkdir

    for op in operations:
        path = os.path.join(target, op.path)
        try:
            if isinstance(op, Mkdir):
                if os.path.isdir(path) and not os.path.islink(path):
                    continue
                if os.path.lexists(path):
                    raise BuildVenvError(f"{path}: stands where the venv needs a directory")
                os.mkdir(path)
                os.chmod(path, op.mode)
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                raise BuildVenvError(f"{path}: a directory stands where the venv writes a "
                                     "file or a link")
            temp = _write_beside(op, path)
            try:
                os.replace(temp, path)
            except OSError:
                _unlink_quietly(temp)
                raise
        except OSError as error:
            raise BuildVenvError(f"{error.filename or path}: {error.strerror}") from None


def _write_beside(op: Operation, path: str) -> str:
    """The entry ``op`` makes, written under a new name beside ``path`` (O_EXCL / symlink's
    own refusal of an existing name: never over someone else's entry); that name."""
    from prefixlab.model.builders.plan import Copy, Link, Write

    directory, name = os.path.split(path)
    for n in range(100):
        temp = os.path.join(directory, f".{name}.prefixlab-{os.getpid()}-{n}")
        try:
            if isinstance(op, Link):
                os.symlink(op.target, temp)
                return temp
            if isinstance(op, Write):
                data, mode = op.data, op.mode
            elif isinstance(op, Copy):
                with open(op.source, "rb") as source:
                    data, mode = source.read(), stat.S_IMODE(os.fstat(source.fileno()).st_mode)
            else:
                raise BuildVenvError(f"{op.path}: unexpected operation {type(op).__name__}")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(temp, mode)
        except OSError:
            _unlink_quietly(temp)
            raise
        return temp
    raise BuildVenvError(f"{path}: no free name beside it to write the new entry")


def write(operations: Sequence[Operation], target: str, *, force: bool,
          warn: Callable[[str], None] | None = None) -> None:
    from prefixlab.impl.builders import writer

    try:
        writer.apply(operations, target, force=force, warn=warn)
    except writer.WriteError as error:
        raise BuildVenvError(str(error)) from None
    except OSError as error:
        raise BuildVenvError(f"{error.filename or target}: {error.strerror}") from None


def _preflight(target: str, force: bool) -> None:
    """What is at TARGET may be replaced (the writer's rule), or the build stops now."""
    from prefixlab.impl.builders import writer

    try:
        writer.preflight(target, force)
    except writer.WriteError as error:
        raise BuildVenvError(str(error)) from None


def command_line(python: str, target: str, options: Options, *, clear: bool = False,
                 upgrade: bool = False) -> str:
    """The prefixlab command that builds this venv (pyvenv.cfg's command, 3.11+)."""
    words = ["prefixlab", "build", "venv", "--python", python]
    if options.system_site_packages:
        words.append("--system-site-packages")
    if options.copies:
        words.append("--copies")
    if options.prompt is not None:
        words += ["--prompt", options.prompt]
    if options.stdlib_compatible:
        words.append("--stdlib-compatible")
    if not options.scm_ignore_files:
        words.append("--without-scm-ignore-files")
    if clear:
        words.append("--clear")
    if upgrade:
        words.append("--upgrade")
    words.append(target)
    return " ".join(shell_quote(w) for w in words)


def stdlib_command_line(source: Source, target: str, options: Options, *, clear: bool = False,
                        upgrade: bool = False) -> str:
    """What ``python -m venv --without-pip`` writes as pyvenv.cfg's command (3.11+): its
    sys.executable, ``-m venv``, its flags in create_configuration's order and the
    absolute TARGET, joined with spaces, unquoted; the prompt as ``--prompt="P"`` as given
    (Lib/venv/__init__.py create_configuration, 3.11-3.13)."""
    args = ["--copies"] if options.copies else []
    args.append("--without-pip")
    if options.system_site_packages:
        args.append("--system-site-packages")
    if clear:
        args.append("--clear")
    if upgrade:
        args.append("--upgrade")
    if options.prompt is not None:
        args.append(f'--prompt="{options.prompt}"')
    from prefixlab.model.builders.venv import venv_rules

    rules = source.rules or venv_rules(source.version)
    if not options.scm_ignore_files and rules.gitignore:
        args.append("--without-scm-ignore-files")  # 3.13+: the versions before lack it
    args.append(target)
    return f"{source.executable} -m venv {' '.join(args)}"


def _check_target(target: str, cwd: str, need_parent: bool = True) -> str:
    if not target:
        raise BuildVenvError("TARGET: empty; name the directory to create")
    absolute = os.path.normpath(os.path.join(cwd, target))
    from prefixlab.impl.builders import writer

    try:
        writer.check_name(absolute)  # what pyvenv.cfg, activate and PATH can carry
    except writer.WriteError as error:
        raise BuildVenvError(str(error)) from None
    parent = os.path.dirname(absolute)
    if need_parent and not os.path.isdir(parent):
        raise BuildVenvError(f"{parent}: the directory TARGET goes in does not exist")
    return absolute


# -- learning, with the cache -------------------------------------------------------------------
def learn(python: str, target: str, options: Options, *, cwd: str, env: Mapping[str, str],
          use_cache: bool = True) -> Learned:
    """Source and home for ``python`` building ``target`` with ``options``."""
    if not python:
        raise BuildVenvError("--python: empty; name an interpreter")
    key = _key(python, options)
    path = _cache_path(key)
    if use_cache:
        cached = _read_cached(path, key, cwd, env, options)
        # home was verified by predicting the venv at the first TARGET; the prediction does
        # not depend on where the venv is (getpath searches from home, site makes TARGET the
        # prefix), unless home would lie inside the new TARGET (a venv rebuilt over the one
        # it is made from): then it is learned again.
        if cached is not None and not _inside(cached.home.executable, target):
            return cached
    if "/" in python:
        from prefixlab.impl.host import learner

        # The interpreter's run and digest, started now, overlap the model's imports.
        learner.start(os.path.join(cwd, python))
    learned, record = _learn_fresh(python, target, options, cwd, env, use_cache)
    _write_cached(path, key, learned, record)
    return learned


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _key(python: str, options: Options) -> list[Any]:
    # The prompt only changes the scripts' text, planned from the learned templates (but
    # `--prompt .` names the working directory: _depends).  The working directory and the
    # environment are what the entry says it read (_depends), checked on use.
    return [CACHE_FORMAT, python, options.copies, options.system_site_packages,
            options.stdlib_compatible]


_START_ENV_PREFIXES = ("PYTHON", "LC_", "LD_", "NIX_", "DEB_", "__PYVENV")
_START_ENV_NAMES = frozenset({"HOME", "LANG", "SETUPTOOLS_USE_DISTUTILS"})


def start_env(env: Mapping[str, str]) -> dict[str, str]:
    """The variables a CPython executed directly (no script, wrapper or shim on the way)
    reads, as the start-up model reads them: its own (PYTHON*, e.g. PYTHONHOME, PYTHONPATH,
    PYTHONUSERBASE, PYTHONPLATLIBDIR; __PYVENV_LAUNCHER__), the locale's (LC_*, LANG: the
    encoding of .pth files), HOME (the user site), LD_LIBRARY_PATH (the loader's search for
    libpython), nixpkgs' sitecustomize (NIX_PYTHON*), Debian's (DEB_PYTHON_INSTALL_LAYOUT)
    and setuptools' distutils-precedence.pth (SETUPTOOLS_USE_DISTUTILS).  PATH is read only
    to find a bare argv[0] (getpath), never for an absolute one.  tests/impl/builders/test_venv_cache_validity.py holds the model to
    this list."""
    return {k: v for k, v in env.items()
            if k.startswith(_START_ENV_PREFIXES) or k in _START_ENV_NAMES}


def _depends(env: Mapping[str, str], options: Options, cwd: str | None, cwd_name: str,
             ) -> dict[str, Any]:
    """What an answer learned read of the caller's working directory and environment:
    ``cwd`` None when it did not read the working directory (an absolute --python executed
    directly), and then only the variables of :func:`start_env`; else the directory and the
    whole environment (scripts, wrappers and shims may read any variable)."""
    return {"cwd": cwd,
            "env": sorted((start_env(env) if cwd is None else
                           {k: v for k, v in env.items() if k not in VOLATILE_ENV}).items()),
            # `--prompt .` is the working directory's name, in the pyvenv.cfg home was
            # verified with.
            "cwd_name": cwd_name if options.prompt == "." else None}


def _cache_path(key: list[Any]) -> str:
    # Names only spread entries (an entry holds its key and is used only if it matches); one
    # directory per entry format, so that a new one can drop the old ones.
    return os.path.join(cache_dir(), "venv", f"format-{key[0]}", _digest(key) + ".marshal")


def _load(path: str) -> Any:
    # marshal: plain values only, read without importing json; a stale, foreign, damaged or
    # edited entry fails to unseal, load or match and is learned again.
    with open(path, "rb") as handle:
        return marshal.loads(_unsealed(handle.read()))


def _read_cached(path: str, key: list[Any], cwd: str, env: Mapping[str, str],
                 options: Options) -> Learned | None:
    try:
        data = _load(path)
        if data.get("format") == CACHE_FORMAT and data.get("key") == key \
                and data.get("by_cwd"):
            # Learned for each working directory: the entry for this one.
            key = [*key, cwd]
            data = _load(_cache_path(key))
        if data.get("format") != CACHE_FORMAT or data.get("key") != key \
                or not code_unchanged(data["code"]):
            return None
        was = data["seen"]["depends"]
        now = _depends(env, options, None if was["cwd"] is None else cwd,
                       os.path.basename(cwd))
        if was != now:
            return None
        valid = _still_valid(data["seen"])
        if valid is False:
            return None
        if valid is None:  # noted anew: the next build checks by lstat alone
            try:
                _write_entry(_cache_path(key), data)
            except OSError:
                pass
        return Learned(_source_from(data["source"]), _home_from(data["home"]), cached=True)
    except (OSError, ValueError, KeyError, TypeError, EOFError, AttributeError):
        return None


def _still_valid(seen: dict[str, Any]) -> bool | None:
    """Does every path the learning looked at still look the same, and every directory it
    listed (to enumerate it: site-packages for .pth files, the activation templates; or to
    look for modules in a sys.path entry) still hold the same names?  A file whose content
    the answer depends on (read by the model; the binaries learned and their libpython)
    with only its device, inode, mtime or ctime changed is compared by content: a hard link
    made elsewhere changes the ctime of the binary and its library, not their bytes.  None
    (valid) when such a file's state was noted anew in ``seen`` (worth writing back)."""
    noted = False
    entries = seen["entries"]
    for path, was in entries.items():
        now = _entry_state(path)
        if now == was or (was is not None and len(was) == 8 and now == was[:7]):
            continue
        if was is None or now is None or len(was) != 8 or now[:3] != was[:3] \
                or _content_digest(path) != was[7]:
            return False
        entries[path] = [*now, was[7]]
        noted = True
    for path, names in seen["children"].items():
        try:
            if sorted(os.listdir(path)) != names:
                return False
        except OSError:
            if names is not None:
                return False
    return None if noted else True


def _content_state(path: str, known: Mapping[str, tuple[Any, str]]) -> list[Any] | None:
    """_entry_state of a file whose content the answer depends on, with its SHA-256 (taken
    from ``known`` when that digest was made of the file as it is: same stat key)."""
    state = _entry_state(path)
    if state is None or state[0] != "file" or not stat.S_ISREG(os.stat(path).st_mode):
        return state
    key, digest = known.get(path, (None, ""))
    if key != (state[3], state[4], state[2], state[5], state[6]):
        digest = _content_digest(path)
    return [*state, digest]


def _content_digest(path: str) -> str:
    """SHA-256 of the file's bytes, hex ('' when it cannot be read)."""
    from prefixlab.impl.host import filedigest

    try:
        return filedigest.sha256(path).hex()
    except OSError:
        return ""


def _sealed(payload: bytes) -> bytes:
    """The entry as written: a header, a digest of the payload, the payload."""
    return _SEAL + _seal_digest(payload) + payload


def _unsealed(data: bytes) -> bytes:
    """The payload of an entry whose digest matches (ValueError otherwise): the activation
    templates come from here, so an entry edited or damaged since it was written is not
    used."""
    start = len(_SEAL) + 32
    payload = data[start:]
    if data[:len(_SEAL)] != _SEAL or data[len(_SEAL):start] != _seal_digest(payload):
        raise ValueError("not a whole, unedited cache entry")
    return payload


def _write_cached(path: str, key: list[Any], learned: Learned, seen: dict[str, Any]) -> None:
    """The entry at ``path``; one that read the working directory goes to an entry of its
    own for that directory, ``path`` saying so (a relative --python, a shim that reads
    .python-version: learned per directory, none replacing another's)."""
    cwd = seen["depends"]["cwd"]
    own = key if cwd is None else [*key, cwd]
    # The code that learned it: the files of the prefixlab modules imported by now (the
    # learning's), so that an edit of one of them, or an upgrade, learns again.
    data = {"format": CACHE_FORMAT, "key": own, "code": code_state(), "seen": seen,
            "source": _source_json(learned.source), "home": _home_json(learned.home)}
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if cwd is not None:
            _write_entry(path, {"format": CACHE_FORMAT, "key": key, "by_cwd": True})
        _write_entry(_cache_path(own), data)
        _drop_other_formats(os.path.dirname(path))
    except OSError:
        pass  # an unwritable cache only costs learning again next time


def _write_entry(path: str, data: dict[str, Any]) -> None:
    # A new name beside it, then one rename (tempfile's mkstemp, without importing tempfile,
    # shutil and random: an entry noted anew is written on a warm build).
    temp = os.path.join(os.path.dirname(path), f".tmp-{os.getpid()}-{os.urandom(6).hex()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_sealed(marshal.dumps(data)))
        os.replace(temp, path)
    except BaseException:
        _unlink_quietly(temp)
        raise


def _drop_other_formats(current: str) -> None:
    """Entries of other formats (and, before format 4, of other versions of prefixlab's code,
    one directory each) are never used again."""
    parent, keep = os.path.split(current)
    for name in os.listdir(parent):
        path = os.path.join(parent, name)
        if name == keep:
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            import shutil  # here: a cold build that finds nothing to drop need not load it

            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


def _source_json(source: Source) -> dict[str, Any]:
    return {"version": list(source.version), "executable": source.executable,
            "executable_real": source.executable_real,
            "base_executable": source.base_executable, "prefix": source.prefix,
            "base_prefix": source.base_prefix, "base_exec_prefix": source.base_exec_prefix,
            "abi_thread": source.abi_thread, "abiflags": source.abiflags,
            "pointer_bits": source.pointer_bits, "os_name": source.os_name,
            "quoting": source.quoting,
            "templates": [[t.path, t.data, t.mode] for t in source.templates],
            "rules": None if source.rules is None else
            list(source.rules)}


def _source_from(data: dict[str, Any]) -> Source:
    fields = dict(data)
    fields["version"] = tuple(data["version"])
    fields["templates"] = tuple(Template(p, t, m) for p, t, m in data["templates"])
    fields["rules"] = None if data["rules"] is None else VenvRules(*data["rules"])
    return Source(**fields)


def _home_json(home: Home) -> dict[str, Any]:
    return {"executable": home.executable, "verified": home.verified,
            # The home steps' values are str (model/builders/venv.py): JSON keeps them as such.
            "steps": [[s.rule.id, s.template, s.row, values_json(s.values)]
                      for s in home.steps]}


def _home_from(data: dict[str, Any]) -> Home:
    steps = tuple(Step(RULES[r], template, row, values)
                  for r, template, row, values in data["steps"])
    return Home(data["executable"], steps, bool(data["verified"]))


# -- learning afresh (the model) ----------------------------------------------------------------
def _learn_fresh(python: str, target: str, options: Options, cwd: str, env: Mapping[str, str],
                 use_cache: bool) -> tuple[Learned, dict[str, Any]]:
    """Learn by the model, recording what the answer read.  An absolute --python the kernel
    executes as the CPython binary itself (through links only) reads neither the working
    directory (the interpreter's start takes nothing from it that the answer keeps: '' on
    sys.path is looked into only for the install scheme and -m, which no venv reads) nor
    variables beyond :func:`start_env`: it is learned from / with those alone, so that what
    is recorded is all the answer can depend on.  Anything else (a relative path, a name on
    PATH, a script, wrapper or shim) is learned as the caller would start it."""
    from prefixlab.impl.host.snapshot import SnapshotError
    from prefixlab.impl.host import interpreters

    cwd_name = os.path.basename(cwd)
    try:
        if _runs_directly(python):
            found = _learn_in(python, target, options, "/", start_env(env), use_cache,
                              cwd_name, direct=True)
            if found is not None:
                learned, record = found
                record["depends"] = _depends(env, options, None, cwd_name)
                return learned, record
        found = _learn_in(python, target, options, cwd, env, use_cache, cwd_name,
                          direct=False)
        assert found is not None
        learned, record = found
        record["depends"] = _depends(env, options, cwd, cwd_name)
        return learned, record
    except (SnapshotError, interpreters.InterpreterError) as error:
        raise BuildVenvError(str(error)) from None
    except VenvPlanError as error:
        raise BuildVenvError(f"--python {python}: {error}") from None


def _runs_directly(python: str) -> bool:
    """Is ``python`` an absolute path to a CPython binary (through links: the file the
    kernel executes is the interpreter, no #! script, wrapper or shim on the way)?"""
    if not python.startswith("/"):
        return False
    from prefixlab.impl.host.learner import plain_cpython

    return plain_cpython(os.path.realpath(python))


def _learn_in(python: str, target: str, options: Options, cwd: str, env: Mapping[str, str],
              use_cache: bool, cwd_name: str, *, direct: bool
              ) -> tuple[Learned, dict[str, Any]] | None:
    """The answer, started from ``cwd`` with ``env``, and what it read; None when ``direct``
    and the model finds a script, wrapper or shim on the way after all."""
    from prefixlab.model.builders import venv as venvplan

    fs = _recording_snapshot()
    world, outcome = _predict_interpreter(fs, python, cwd, env, use_cache)
    if direct and not _executed_directly(world, outcome):
        return None
    source = _source(fs, world, outcome, python)
    world = _with_candidates_learned(world, source, use_cache)
    asked, listed = set(fs.asked), set(fs.listed)
    home = venvplan.choose_home(world, source, options, target, cwd_name=cwd_name)
    # The home is verified by predicting the venv at TARGET from / (choose_home): where
    # TARGET lies is not what it depends on (learn), so the directories on the way to it
    # and the listing of / that only that prediction read are not recorded.
    drop = {p for p in fs.asked - asked if _inside(target, p) or _inside(p, target)}
    searched = {entry for entry in outcome.path if entry.startswith("/")}
    # The working directory's listing is read only for '' on sys.path (the install scheme
    # and -m's checks: nothing a venv keeps), unless it is on sys.path by name as well.
    unlisted = {place for place in (cwd, "/") if place not in searched
                and (place == cwd or place not in listed)}
    # The binaries learned are read by impl/host (their constants, by content): their
    # bytes count, and their libpython's.
    content = _libraries_of(world.builds).union(world.builds)
    return Learned(source, home), fs.record(content, drop, unlisted)


def _executed_directly(world: World, outcome: Outcome) -> bool:
    """Does the kernel execute the CPython binary itself (the exec chain's end is the file
    executed: no script, wrapper, env or shim)?"""
    from prefixlab.model.exec import chain
    from prefixlab.model.world import kernel

    cwd = kernel.realpath(world.fs, outcome.invocation.cwd)
    if isinstance(cwd, kernel.Errno):
        return False
    executed = chain.exec_target(world.fs, outcome.invocation, cwd)
    return not isinstance(executed, kernel.Errno) and executed == _binary_run(world, outcome)


def _libraries_of(binaries: Iterable[str]) -> set[str]:
    """The paths the loader looks at for each binary's libpython (the model never reads
    them, but the version and the compiled-in PREFIX live there: a libpython replaced
    under an unchanged binary is another interpreter)."""
    from prefixlab.impl.host.identity import library_search

    return {path for binary in binaries for path in library_search(binary)}


def _predict_interpreter(fs: Snapshot, python: str, cwd: str, env: Mapping[str, str],
                         use_cache: bool) -> tuple[World, Outcome]:
    """The model's outcome for starting INTERPRETER as the user would (``-c``)."""
    from prefixlab.impl.host.world import world_for
    from prefixlab.model.world.invocation import Invocation
    from prefixlab.model.startup.predict import predict

    invocation = Invocation.make(python, [], env=dict(env), cwd=cwd)
    world = world_for(invocation, use_cache=use_cache, fs=fs, host=False)
    outcome = predict(world, invocation)
    if outcome.status != "ok":
        message = outcome.error.message if outcome.error is not None else outcome.status
        kind = outcome.error.kind if outcome.error is not None else ""
        if outcome.status == "exec-failed" or kind in ("ENOENT", "EACCES"):
            raise InterpreterUnusable(f"--python {python}: cannot be executed ({message})")
        if outcome.status == "not-modelled":
            raise BuildVenvError(f"--python {python}: not a CPython interpreter the model "
                                 f"knows ({message})")
        raise InterpreterUnusable(f"--python {python}: the interpreter would not start "
                                  f"({message})")
    _refuse_scripts(world, invocation, python)
    return world, outcome


def _refuse_scripts(world: World, invocation: Any, python: str) -> None:
    """A #! script run by an interpreter (a console script such as ENV/bin/pip) is no
    interpreter: the kernel gives its interpreter the script's path first (binfmt_script),
    so `SCRIPT -m venv` would run the script.  Wrappers that hand their arguments on
    (makeWrapper, makeBinaryWrapper, pyenv shims, env) are interpreters to their callers."""
    from prefixlab.model.exec import chain
    from prefixlab.model.world import kernel

    cwd = kernel.realpath(world.fs, invocation.cwd)
    if isinstance(cwd, kernel.Errno):
        return
    hop = chain.follow(world.fs, invocation, cwd, world.builds, [])
    if isinstance(hop, chain.Arrived) and \
            chain.passed_on(tuple(invocation.argv[1:]), tuple(hop.invocation.argv)) is None:
        raise BuildVenvError(f"--python {python}: a script run by the interpreter "
                             f"{hop.invocation.program}, not an interpreter (a console "
                             f"script?); name {hop.invocation.program} instead")


def _source(fs: Snapshot, world: World, outcome: Outcome, python: str) -> Source:
    from prefixlab.model.world import kernel
    from prefixlab.model.builders.venv import venv_rules

    executable = outcome.executable or ""
    real = kernel.realpath(fs, executable) if executable else kernel.Errno.ENOENT
    binary = _binary_run(world, outcome)
    if isinstance(real, kernel.Errno) or binary is None:
        raise BuildVenvError(f"--python {python}: the CPython binary it runs is not known "
                             f"(sys.executable {executable!r})")
    build = world.builds[binary]
    venv_dir = _stdlib_venv(fs, outcome.path)
    if venv_dir is None:
        raise BuildVenvError(f"--python {python}: its stdlib has no venv package")
    templates = _templates(fs, venv_dir + "/scripts")
    source_code = fs.read(venv_dir + "/__init__.py")
    # gh-124651: stdlibs with the fix quote what they substitute, for each script's shell.
    quoting: Quoting = ("quoted" if b"script_path" in source_code and b"shlex.quote" in
                        source_code else "plain")
    return Source(
        version=build.version, executable=executable, executable_real=real,
        base_executable=outcome.base_executable or "", prefix=outcome.prefix or "",
        base_prefix=outcome.base_prefix or "", base_exec_prefix=outcome.base_exec_prefix or "",
        abi_thread=build.abi_thread, abiflags=build.abiflags,
        pointer_bits=_pointer_bits(fs, binary), os_name="posix" if build.os_name == "posix"
        else build.os_name, templates=templates, quoting=quoting,
        rules=venv_rules(build.version))


def _with_candidates_learned(world: World, source: Source, use_cache: bool) -> World:
    """The world knowing the build of every binary a home candidate leads to (a --copies
    venv's base binary is not on the way to its own copy)."""
    from prefixlab.model.speedups import replace

    from prefixlab.impl.host import interpreters
    from prefixlab.impl.host.world import looks_like_cpython
    from prefixlab.model.world import kernel
    from prefixlab.model.builders import venv as venvplan

    builds = dict(world.builds)
    for candidate in venvplan.candidates(world, source):
        real = kernel.realpath(world.fs, candidate)
        # kernel.Errno is a str: a failed resolution is not a path.
        if not isinstance(real, kernel.Errno) and real not in builds \
                and looks_like_cpython(real):
            try:
                builds[real] = interpreters.learn_constants(real, use_cache=use_cache)
            except interpreters.InterpreterError:
                continue
    return replace(world, builds=builds)


def _binary_run(world: World, outcome: Outcome) -> str | None:
    """The physical path of the binary the invocation ends up running (through wrappers,
    env, pyenv shims: the exec chain's end), a key of world.builds."""
    from prefixlab.model.exec import chain
    from prefixlab.model.world import kernel

    invocation = outcome.invocation
    cwd = kernel.realpath(world.fs, invocation.cwd)
    if isinstance(cwd, kernel.Errno):
        return None
    hop = chain.follow(world.fs, invocation, cwd, world.builds, [])
    return hop.target if isinstance(hop, chain.Arrived) else None


def _stdlib_venv(fs: Snapshot, path: Sequence[str]) -> str | None:
    """The venv package `-m venv` would import: the first sys.path entry holding it."""
    from prefixlab.model.world import kernel

    for entry in path:
        if not entry.startswith("/"):
            continue
        real = kernel.realpath(fs, entry + "/venv")
        # kernel.Errno is a str: a failed resolution is not a path ("ENOENT/__init__.py").
        if not isinstance(real, kernel.Errno) and _is_file(fs, real + "/__init__.py"):
            return real
    return None


def _is_file(fs: Snapshot, path: str) -> bool:
    found = fs.entry(path)
    return found is not None and found.kind == "file"


def _templates(fs: Snapshot, scripts: str) -> tuple[Template, ...]:
    """install_scripts' files: every file below scripts/common and scripts/posix, by its path
    below that directory (common first; a posix file of the same name is written last)."""
    found: dict[str, Template] = {}
    for top in ("common", "posix"):
        stack = [(f"{scripts}/{top}", "")]
        while stack:
            directory, below = stack.pop()
            for name in fs.children(directory):
                path, rel = f"{directory}/{name}", f"{below}{name}"
                entry = fs.entry(path)
                if entry is None:
                    continue
                if entry.kind == "dir":
                    stack.append((path, rel + "/"))
                elif entry.kind == "file":
                    found[rel] = Template(rel, fs.read(path), entry.mode)
    return tuple(found[k] for k in sorted(found))


def _pointer_bits(fs: Snapshot, binary: str) -> int:
    """ELF's EI_CLASS (1: 32-bit, 2: 64-bit); sys.maxsize > 2**32 is what venv asks."""
    return 32 if fs.read(binary)[4:5] == b"\x01" else 64


def _recording_snapshot() -> Any:
    """A Snapshot of / that remembers every path it was asked about (each is asked once:
    the snapshot caches), so that the cache entry can be checked against them later."""
    from prefixlab.impl.host.snapshot import Snapshot

    class Recording(Snapshot):
        def __init__(self) -> None:
            self.asked: set[str] = set()
            self.listed: set[str] = set()
            self.read_paths: set[str] = set()
            super().__init__("/")

        def _entry(self, path: str) -> Any:
            self.asked.add(path)
            return super()._entry(path)

        def _read(self, path: str) -> bytes:
            self.asked.add(path)
            self.read_paths.add(path)
            return super()._read(path)

        def _children(self, path: str) -> tuple[str, ...]:
            self.listed.add(path)
            return super()._children(path)

        def record(self, also: Iterable[str] = (), drop: Iterable[str] = (),
                   unlisted: Iterable[str] = ()) -> dict[str, Any]:
            """The state of what was asked about but ``drop``, and of the paths ``also``
            named, whose content counts as the files read do; the listings read but those
            of ``unlisted``."""
            listings: dict[str, Any] = {}
            for path in sorted(self.listed.difference(unlisted)):
                try:
                    listings[path] = sorted(os.listdir(path))
                except OSError:
                    listings[path] = None
            from prefixlab.impl.host import learner

            content = self.read_paths.union(also)
            known = learner.digests()
            asked = self.asked.difference(drop).union(content)
            return {"entries": {p: _content_state(p, known) if p in content else
                                _entry_state(p) for p in sorted(asked)},
                    "children": listings}

    return Recording()
