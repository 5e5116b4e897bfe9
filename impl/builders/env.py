"""``prefixlab build env``: a composed environment in the manner of nixpkgs' buildEnv.

The real side of :mod:`prefixlab.model.builders.reference` and the other flavours: learn the interpreter
as the model sees it (its base executable and prefixes, from the model's outcome for running
it), check the package trees (a link leaving a package, an unreadable file: one line, exit 2,
nothing written), plan (pure, over a lazy snapshot of the machine) and write the plan with
the one writer (:mod:`prefixlab.impl.builders.writer`: staging beside TARGET, then one rename).

In-process API (the benchmark's): :func:`plan_env` and :func:`build_env`.  The command line is
impl/cli/build_env.py.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping, Sequence

from prefixlab.impl.builders import envcache, envsteps
from prefixlab.impl.builders.envsteps import EnvError as EnvError  # the in-process API's error
from prefixlab.impl.builders.envsteps import check_apart, package_arg, preflight
from prefixlab.impl.host.snapshot import Snapshot, SnapshotError
from prefixlab.model.builders import buildenv
from prefixlab.model.builders import flavours
from prefixlab.model.builders.buildenv import MergeError, Package
from prefixlab.model.builders.flavours import BaseInterpreter, EnvPlan, EnvRequest
from prefixlab.model.world.fs import Entry, FsView

TYPE_CHECKING = False  # typing stays off a build's start-up (model/speedups.py)
if TYPE_CHECKING:
    from typing import Any


def flavour_names() -> list[str]:
    """What --flavor takes: every registered flavour (the nix ones included)."""
    _register_nix_flavours()
    return sorted(flavours.FLAVOURS)


def _register_nix_flavours() -> None:
    """The nix flavours register themselves when impl/builders/nix.py is imported: only when
    one is asked for (the reference flavour's build does not pay for that module)."""
    from prefixlab.impl.builders import nix  # noqa: F401


def _on_path(name: str, looked: set[str] | None = None) -> str:
    """A bare --python name, found as the shell finds a command (the first executable file
    on PATH, as build venv does); else, for a version request (3.12, cpython3.12), the
    interpreter impl/host/requests.py chooses among those found here; else the name
    itself.  ``looked`` gets the paths looked at on PATH (up to the one found)."""
    import shutil

    found = shutil.which(name) if name else None
    if looked is not None and name:
        for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
            candidate = os.path.abspath(os.path.join(directory or ".", name))
            looked.add(candidate)
            if found and candidate == os.path.abspath(found):
                break
    if found:
        return os.path.abspath(found)
    from prefixlab.impl.host import requests

    request = requests.parse(name)
    if request.kind == "version":
        if looked is not None:
            looked.add(_CHOSEN)  # a choice among what is installed: not cached
        try:
            return requests.choose_among(request).python
        except requests.RequestError as error:
            raise EnvError(str(error)) from None
    return os.path.abspath(name)


_CHOSEN = ""
"""Among the paths a learning looked at: it chose among the interpreters installed here."""


def learn_interpreter(python: str, *, use_cache: bool = False) -> BaseInterpreter:
    """What the model says running ``python`` starts: its base executable (a binary whose
    build constants are learnt) and base prefixes.  ``python`` may be a link, a venv's
    interpreter, a wrapper or a pyenv shim; it must end in a CPython binary.

    With ``use_cache`` (the command line's default) the answer comes from prefixlab's cache
    when everything the learning read still looks the same (impl/builders/learncache.py):
    the key is ``python`` as given, the working directory, the user and the environment (a
    shim's answer depends on PYENV_VERSION, a bare name's on PATH), and the entry is checked
    against every file, link and listing the learning looked at, the binaries and the
    places their libpython is looked for.  The working directory's listing is not compared
    (environments are built in it; the names looked up in it are)."""
    if not use_cache:
        return _learn(python, None)[0]
    from prefixlab.impl.builders import learncache

    key = envcache.interpreter_key(python)
    value = envcache.learned(key)
    if value is not None:
        try:
            return _interpreter_from(value)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # an entry of another shape: learned again
    fs = learncache.recording_snapshot()
    interpreter, also = _learn(python, fs)
    if _CHOSEN not in also:
        learncache.write(learncache.entry_path("env", key),
                         {"key": key, "seen": learncache.record(fs, also),
                          "interpreter": interpreter_json(interpreter)})
    return interpreter


def interpreter_json(interpreter: BaseInterpreter) -> dict[str, Any]:
    """The interpreter as its cache entries hold it (plain data)."""
    from prefixlab.model.speedups import field_names

    # By field, not vars(): the compiled model's BuildConstants has no __dict__.
    build = {name: getattr(interpreter.build, name)
             for name in field_names(type(interpreter.build))}
    return {"binary": interpreter.binary, "build": build,
            "prefix": interpreter.prefix, "exec_prefix": interpreter.exec_prefix,
            "given": interpreter.given}


def _interpreter_from(data: Mapping[str, object]) -> BaseInterpreter:
    from prefixlab.model.world.build import BuildConstants

    build = data["build"]
    assert isinstance(build, dict)
    fields = {k: str(data[k]) for k in ("binary", "prefix", "exec_prefix", "given")}
    return BaseInterpreter(fields["binary"], BuildConstants(**build), fields["prefix"],
                           fields["exec_prefix"], fields["given"])


def _learn(python: str, fs: FsView | None) -> tuple[BaseInterpreter, set[str]]:
    """learn_interpreter afresh, over ``fs`` (a snapshot of /, recording what it is asked
    when the answer is cached); the paths it looked at besides (the binaries, their
    libraries, the stdlib's landmark, the places a bare name was looked for on PATH)."""
    # Imported here: only this step needs the model's start-up machinery.
    from prefixlab.impl.host.account import host_account
    from prefixlab.impl.host.identity import library_search
    from prefixlab.impl.host.interpreters import (InterpreterError, discover, learn_constants)
    from prefixlab.model.world.invocation import Invocation
    from prefixlab.model.world import World
    from prefixlab.model.startup.predict import predict

    also: set[str] = set()
    given = _on_path(python, also) if "/" not in python else os.path.abspath(python)
    also.add(given)
    if not os.path.lexists(given):
        raise EnvError(f"{python}: --python does not exist")
    if os.path.isdir(given):
        raise EnvError(f"{python}: --python is a directory, not an interpreter")
    builds = {}
    real = os.path.realpath(given)
    also.add(real)
    if _plain_binary(real):
        try:
            builds[real] = learn_constants(given)
        except InterpreterError as error:
            raise EnvError(f"{python}: not a Python interpreter prefixlab can use ({error})"
                           ) from None
    else:  # a script or a compiled wrapper: the model follows it to a binary it knows
        builds = {i.real_path: i.constants for i in discover() if i.constants is not None}
    world = World(fs if fs is not None else Snapshot("/"), builds, host_account())
    # The interpreter the user means is the one the command starts in their environment
    # (PYENV_VERSION picks a shim's version), minus the variables that move an interpreter
    # away from its own installation (PYTHONHOME, PYTHONPATH, ...).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    outcome = predict(world, Invocation.make(given, ["-c", ""], env=env, cwd=os.getcwd()))
    if outcome.status != "ok" or outcome.base_executable is None:
        why = outcome.error.message if outcome.error else outcome.status
        raise EnvError(f"{python}: not a Python interpreter prefixlab can use ({why})")
    binary = os.path.realpath(outcome.base_executable)
    build = builds.get(binary)
    if build is None:
        try:
            build = learn_constants(binary)
        except InterpreterError as error:
            raise EnvError(f"{python}: {error}") from None
    prefix = outcome.base_prefix or build.prefix
    exec_prefix = outcome.base_exec_prefix or prefix
    version = f"python{build.version[0]}.{build.version[1]}{build.abi_thread}"
    landmark = os.path.join(prefix, "lib", version, "os.py")
    if not os.path.isfile(landmark):
        raise EnvError(f"{python}: its standard library is not at {prefix}/lib/{version}")
    # The build constants come from running the binaries (impl/host/interpreters.py keeps
    # them by the binary's identity); the version and PREFIX live in libpython too.
    for path in {binary, *builds}:
        also.add(path)
        also.update(library_search(path))
    also.update(_ancestors(landmark))
    also.update(_ancestors(binary))
    return BaseInterpreter(binary, build, prefix, exec_prefix, python), also


def _ancestors(path: str) -> list[str]:
    """``path`` and the directories above it (a link put in their place changes where it
    leads)."""
    found = []
    while path not in ("/", ""):
        found.append(path)
        path = os.path.dirname(path)
    return found


def _plain_binary(path: str) -> bool:
    """An executable (ELF) that is not a makeBinaryWrapper wrapper: running it runs it, not
    another program, so its build constants are its own."""
    from prefixlab.model.exec.binarywrapper import read_binary
    # Not blocking, regular files only, and bounded: --python may name a FIFO or a device.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode) or found.st_size > _BINARY_LIMIT:
            return False
        data = b"".join(iter(lambda: os.read(fd, 1 << 20), b""))
    except OSError:
        return False
    finally:
        os.close(fd)
    return data.startswith(b"\x7fELF") and read_binary(data) is None


_BINARY_LIMIT = 256 << 20
"""The largest file taken for an interpreter binary (Debian's static python3.11 is 7 MB)."""


def parse_package(text: str) -> Package:
    """DIR or DIR=PRIORITY (an integer; lower wins, default 5)."""
    return Package(*package_arg(text))


def check_packages(fs: FsView, packages: Sequence[Package]) -> None:
    for package in packages:
        if not os.path.isdir(package.root):
            what = "does not exist" if not os.path.lexists(package.root) else "is not a directory"
            raise EnvError(f"{package.root}: --package {what}")
        try:
            buildenv.check_package(fs, package.root, _readable)
        except (buildenv.PackageError, SnapshotError) as error:
            raise EnvError(str(error)) from None


def _readable(path: str, entry: Entry) -> bool:
    """access(2) as this process: a directory must be listable and searchable."""
    return os.access(path, os.R_OK | os.X_OK if entry.kind == "dir" else os.R_OK)


def plan_env(target: str, python: str | BaseInterpreter, packages: Sequence[str | Package], *,
             flavor: str = "reference", ignore_collisions: bool = False,
             options: Sequence[tuple[str, str]] = (), fs: FsView | None = None) -> EnvPlan:
    """The plan for the environment at ``target`` (pure planning over a snapshot; nothing is
    written).  Raises EnvError with one line naming the file."""
    interpreter = python if isinstance(python, BaseInterpreter) else learn_interpreter(python)
    chosen = [parse_package(p) if isinstance(p, str) else p for p in packages]
    view: FsView = fs if fs is not None else Snapshot("/")
    check_packages(view, chosen)
    if flavor != "reference":
        _register_nix_flavours()
    try:
        plan = flavours.flavour(flavor)
    except flavours.UnknownFlavour as error:
        raise EnvError(str(error)) from None
    check_apart(target, [p.root for p in chosen], interpreter.given or interpreter.binary,
                [interpreter.prefix, interpreter.exec_prefix])
    request = EnvRequest(os.path.abspath(target), interpreter, tuple(chosen), ignore_collisions,
                         tuple(options))
    try:
        return plan(view, request)
    except (MergeError, SnapshotError) as error:
        raise EnvError(str(error)) from None
    except OSError as error:  # a file that changed or cannot be read after the checks
        raise EnvError(f"{error.filename}: cannot be read ({error.strerror})") from None


def build_env(target: str, python: str | BaseInterpreter, packages: Sequence[str | Package], *,
              flavor: str = "reference", ignore_collisions: bool = False, force: bool = False,
              options: Sequence[tuple[str, str]] = (),
              warn: Callable[[str], None] | None = None, fs: FsView | None = None) -> EnvPlan:
    """Plan, then write atomically (see :func:`plan_env`; ``force`` replaces TARGET;
    ``warn`` hears the writer's warnings; ``fs``: the snapshot to plan over)."""
    preflight(target, force)
    planned = plan_env(target, python, packages, flavor=flavor,
                       ignore_collisions=ignore_collisions, options=options, fs=fs)
    write(planned, target, flavor=flavor, force=force, warn=warn)
    return planned


def write(planned: EnvPlan, target: str, *, flavor: str, force: bool,
          warn: Callable[[str], None] | None = None) -> None:
    """Write a planned environment with its build record (impl/builders/envsteps.py)."""
    envsteps.write(planned.ops, target, flavor=flavor, force=force, warn=warn)

