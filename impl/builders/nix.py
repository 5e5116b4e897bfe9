"""The nix flavours of ``build env`` on the real side: the store python's inputs, the compiled
wrappers (cached), and the plan written by the one writer.

:mod:`prefixlab.model.builders.nix` plans; this module learns what the plan needs from the
machine (the interpreter's build constants, a snapshot of the package trees) and compiles each
makeBinaryWrapper wrapper the plan asks for with the machine's C compiler, as nixpkgs does
(``makeDocumentedCWrapper`` text, :mod:`prefixlab.impl.builders.wrapgen`).  Compiled wrappers are kept
in prefixlab's cache under the sha256 of the compiler, its flags and the C text, so a second
build with the same wrappers compiles nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prefixlab.impl.builders import cwrapper
from prefixlab.impl.builders import nixsite
from prefixlab.impl.builders import wrapgen
from prefixlab.impl.builders import writer
from prefixlab.impl.host.interpreters import InterpreterError, cache_dir
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.builders import nix as nixflavours
from prefixlab.model.builders.buildenv import DEFAULT_PRIORITY, MergeError, Package
from prefixlab.model.builders.flavours import EnvPlan, EnvRequest, register
from prefixlab.model.errors import BadInput
from prefixlab.model.world.fs import FsView
from prefixlab.model.builders.nix import (Argv0Mode, BasePython, Flavour, NixEnvPlan,
                                         NixFlavourError)
from prefixlab.model.builders.plan import Copy, CWrapper, Operation, Write

SITECUSTOMIZE = nixsite.SITECUSTOMIZE_TEXT.encode("utf-8")


class NixBuildError(BadInput):
    """One line naming what is wrong (the CLI prints it and exits 2)."""


@dataclass(frozen=True)
class NixBuilt:
    plan: NixEnvPlan
    ops: tuple[Operation, ...]
    """The complete plan: the model's operations and the compiled wrappers as copies."""


def base_python(interpreter: str) -> BasePython:
    """The real interpreter at ``interpreter`` (a binary, a link, a wrapper or a shim: what
    ``build env`` learns of it) as the store python's source."""
    from prefixlab.impl.builders.env import EnvError, learn_interpreter  # its CLI imports us lazily
    try:
        found = learn_interpreter(interpreter)
    except (EnvError, InterpreterError) as error:
        raise NixBuildError(str(error)) from None
    return nixflavours.base_of(found.binary, found.build, found.prefix, found.exec_prefix)


def parse_package(text: str) -> tuple[str, int]:
    """``DIR[=PRIORITY]``."""
    directory, sep, priority = text.rpartition("=")
    if sep and priority.lstrip("-").isdigit():
        return directory, int(priority)
    return text, DEFAULT_PRIORITY


def physical(target: str) -> str:
    """TARGET with the links of its directory resolved (TARGET itself need not exist)."""
    head, name = os.path.split(os.path.abspath(target))
    return os.path.join(os.path.realpath(head), name)


def plan(target: str, interpreter: str, packages: Sequence[tuple[str, int]],
         flavour: Flavour, *, argv0_mode: Argv0Mode = "fixed", ignore_collisions: bool = False,
         permit_user_site: bool = False, make_wrapper_args: Sequence[str] = (),
         wrapper: str = "binary", use_cache: bool = True) -> NixBuilt:
    """The complete plan of a nix-flavoured environment at ``target``: the model's plan and
    its wrappers compiled (or taken from the cache) as Copy operations."""
    target = os.path.abspath(target)
    base = base_python(interpreter)
    inputs = []
    for directory, priority in packages:
        root = os.path.abspath(directory)
        if not os.path.isdir(root):
            raise NixBuildError(f"{directory}: not a directory")
        inputs.append(Package(root, priority, label=directory))
    try:
        built = nixflavours.plan_env(
            Snapshot("/"), target, base, inputs, flavour,
            sitecustomize=SITECUSTOMIZE, argv0_mode=argv0_mode,
            ignore_collisions=ignore_collisions, permit_user_site=permit_user_site,
            make_wrapper_args=make_wrapper_args, target_physical=physical(target))
    except (NixFlavourError, MergeError) as error:
        raise NixBuildError(str(error)) from None
    try:
        ops = dialect(built.ops, wrapper, flavour)
    except NixFlavourError as error:
        raise NixBuildError(str(error)) from None
    return NixBuilt(built, cached_wrappers(ops, use_cache=use_cache))


def dialect(ops: Sequence[Operation], wrapper: str, flavour: Flavour,
            shell: str | None = None) -> tuple[Operation, ...]:
    """The plan in a wrapper dialect: ``binary`` (makeBinaryWrapper, what every flavour used:
    nixpkgs #169307 moved wrapper.nix to it in April 2022) or ``shell`` (makeShellWrapper's
    text, what nix-classic used before; the 2022-2025 make-wrapper.sh format, which is the
    one nixpkgs #123067 quotes from an environment's bin/pip in 2021), run by ``shell``
    (default: bash on PATH, standing for @shell@)."""
    if wrapper == "binary":
        return tuple(ops)
    if wrapper != "shell":
        raise NixFlavourError(f"wrapper={wrapper!r}: binary or shell")
    if flavour != "nix-classic":
        raise NixFlavourError(f"wrapper=shell is nix-classic's earlier dialect, not {flavour}'s")
    bash = shell or shutil.which("bash") or "/bin/bash"
    return tuple(Write(op.path, wrapgen.shell_wrapper(op.executable, list(op.flags), shell=bash)
                       .encode("utf-8", "surrogateescape"), 0o755)
                 if isinstance(op, CWrapper) else op for op in ops)


def cached_wrappers(ops: Sequence[Operation], *, use_cache: bool = True
                    ) -> tuple[Operation, ...]:
    """The plan with each CWrapper replaced by a copy of the compiled wrapper in the cache."""
    return tuple(Copy(op.path, compiled(op, use_cache=use_cache)) if isinstance(op, CWrapper)
                 else op for op in ops)


def build(target: str, interpreter: str, packages: Sequence[tuple[str, int]], flavour: Flavour,
          *, force: bool = False, argv0_mode: Argv0Mode = "fixed",
          ignore_collisions: bool = False, permit_user_site: bool = False,
          make_wrapper_args: Sequence[str] = (), wrapper: str = "binary",
          use_cache: bool = True, warn: Callable[[str], None] | None = None) -> NixBuilt:
    """Plan (see :func:`plan`) and write the environment atomically, by the one writer
    (``warn`` hears its warnings)."""
    try:
        writer.preflight(target, force)
    except writer.WriteError as error:
        raise NixBuildError(str(error)) from None
    built = plan(target, interpreter, packages, flavour, argv0_mode=argv0_mode,
                 ignore_collisions=ignore_collisions, permit_user_site=permit_user_site,
                 make_wrapper_args=make_wrapper_args, wrapper=wrapper, use_cache=use_cache)
    try:
        writer.apply(built.ops + (writer.env_record(flavour),), target, force=force,
                     warn=warn)
    except writer.WriteError as error:
        raise NixBuildError(str(error)) from None
    except OSError as error:
        raise NixBuildError(f"{error.filename or target}: {error.strerror or error}") from None
    return built


# -- compiled wrappers ------------------------------------------------------------------------
def wrapper_source(spec: CWrapper) -> str:
    """makeDocumentedCWrapper's text for the wrapper (what nixpkgs compiles)."""
    return wrapgen.c_wrapper(spec.executable, list(spec.flags))


def _compiler_identity(cc: str) -> str:
    try:
        done = subprocess.run([cc, "--version"], capture_output=True, timeout=30)
        version = done.stdout.decode("utf-8", "replace").split("\n", 1)[0]
    except (OSError, subprocess.SubprocessError):
        version = "?"
    return f"{os.path.realpath(cc)}\0{version}"


_IDENTITY: dict[str, str] = {}


def compiled(spec: CWrapper, *, use_cache: bool = True) -> str:
    """The path of the compiled wrapper in prefixlab's cache (compiled if missing)."""
    cc = cwrapper.compiler()
    if cc is None:
        raise NixBuildError("the nix flavours compile C wrappers: no cc or gcc on PATH")
    identity = _IDENTITY.setdefault(cc, _compiler_identity(cc))
    source = wrapper_source(spec)
    key = hashlib.sha256("\0".join([identity, *cwrapper.FLAGS, source]).encode(
        "utf-8", "surrogateescape")).hexdigest()
    directory = os.path.join(cache_dir(), "cwrappers")
    path = os.path.join(directory, key)
    if use_cache and os.path.isfile(path):
        return path
    os.makedirs(directory, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=".compiling-", dir=directory)
    os.close(handle)
    try:
        cwrapper.compile_wrapper(source, scratch, cc=cc)
        os.chmod(scratch, 0o755)
        os.replace(scratch, path)  # atomic: a concurrent build sees the old or the new file
    except cwrapper.CompileError as error:
        raise NixBuildError(f"{spec.path}: the wrapper does not compile ({error})") from None
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    return path


# -- the flavours of build env (model/builders/flavours.py), registered below -------------
def _registered(flavour: Flavour, fs: FsView, request: EnvRequest) -> EnvPlan:
    """A nix flavour as ``build env`` calls a flavour: pure, given the filesystem value.  It
    lives here because the stand-in sitecustomize text is impl's (prefixlab.impl.builders.nixsite)."""
    base = request.interpreter
    mode = request.option("argv0-mode", "fixed")
    if mode not in ("fixed", "inherit"):
        raise NixFlavourError(f"--argv0-mode {mode!r}: fixed or inherit")
    if mode != "fixed" and flavour != "nix-297628":
        raise NixFlavourError(f"--argv0-mode is an option of nix-297628, not of {flavour}")
    built = nixflavours.plan_env(
        fs, request.target, nixflavours.base_of(base.binary, base.build, base.prefix,
                                                base.exec_prefix),
        request.packages, flavour, sitecustomize=SITECUSTOMIZE,
        argv0_mode="inherit" if mode == "inherit" else "fixed",
        ignore_collisions=request.ignore_collisions,
        permit_user_site=request.option("permit-user-site") == "true",
        # wrapper.nix joins makeWrapperArgs with blanks: one string is the same input
        make_wrapper_args=(request.option("make-wrapper-args"),),
        target_physical=physical(request.target))
    ops = dialect(built.ops, request.option("wrapper", "binary"), flavour)
    return EnvPlan(ops, built.farm, built.steps, built.warnings)


def nix_classic(fs: FsView, request: EnvRequest) -> EnvPlan:
    return _registered("nix-classic", fs, request)


def nix_297628(fs: FsView, request: EnvRequest) -> EnvPlan:
    return _registered("nix-297628", fs, request)


def nix_inherit_argv0(fs: FsView, request: EnvRequest) -> EnvPlan:
    return _registered("nix-inherit-argv0", fs, request)


def nix_resolve_argv0(fs: FsView, request: EnvRequest) -> EnvPlan:
    return _registered("nix-resolve-argv0", fs, request)


# Registered here, not named in the model: their plans carry this side's stand-in
# sitecustomize text, and the model never imports the real side.
for _name, _plan in (("nix-classic", nix_classic), ("nix-297628", nix_297628),
                     ("nix-inherit-argv0", nix_inherit_argv0),
                     ("nix-resolve-argv0", nix_resolve_argv0)):
    register(_name, _plan)
