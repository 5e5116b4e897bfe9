"""The reference flavour of ``prefixlab build env``: a composed environment that is what it looks
like, an installation of the interpreter with the packages in it.

What is linked
    Of the interpreter only its own files: the stdlib directory ``lib/pythonX.Y`` without its
    ``site-packages``/``dist-packages`` (what was installed into the interpreter is not part of
    it), ``lib-dynload`` (inside the stdlib directory unless PLATLIBDIR is not ``lib``), the
    headers ``include/pythonX.Y<abiflags>`` and the ``libpythonX.Y*`` files of its library
    directory.  Never a whole shared prefix: a Debian interpreter's prefix is ``/usr``, and its
    ``/usr/lib/python3/dist-packages`` belongs to Debian's packages, not to the interpreter.
    The packages are merged by :func:`prefixlab.model.builders.buildenv.merge` (nixpkgs buildEnv's
    algorithm), each package's ``lib/pythonX.Y/site-packages`` into the directory the
    interpreter's site module reads for the environment's prefix, asked of the model
    (:func:`prefixlab.model.startup.sitepaths.site_packages`): ``lib/pythonX.Y/site-packages`` upstream,
    ``lib/python3/dist-packages`` for Debian's interpreter, whose site.py does not read
    site-packages outside a venv.  ``bin`` and that directory are always real directories.

The interpreter entries: a copy
    ``bin/pythonX.Y`` is a **copy of the interpreter binary**, ``bin/python3`` and ``bin/python``
    relative links to it.  CPython computes its prefix from the path it was started by, after
    resolving that path's links (getpath's realpath of the executable): a copy in ``ENV/bin``
    finds ``ENV/lib/pythonX.Y/os.py`` and ``lib-dynload`` and takes ENV as prefix and base
    prefix, run by its path, through PATH, through a link to the entry or through a link to
    ENV's directory; and ``ENV/bin/python -m venv`` records ``home = ENV/bin``, so a venv made
    from it has ENV as base prefix and sees ENV's packages with ``--system-site-packages``.
    A symbolic link would make the interpreter find its original prefix.  An argv0-preserving
    wrapper works only while argv[0] is the entry's path: ``exec -a python3``, a wrapper that
    puts another python3 first on PATH, or an emulator that rewrites argv[0] make it start
    from elsewhere (prefixlab's ids F-d1..F-d6, named with
    :data:`prefixlab.model.builders.envspec.KNOWN_FAILURES`: nixpkgs' ``--inherit-argv0
    --resolve-argv0`` wrapper of #442540 and #462090; #461884 for an emulator), and it needs a
    C compiler (a shell wrapper cannot be a #! interpreter on macOS/BSD).  A hard link
    behaves as the copy but only within one filesystem and, with ``fs.protected_hardlinks``,
    only for files the user may write.  A copy works everywhere and costs the binary's size
    (17 KB for a shared-libpython build, 7 MB for Debian's static one).  Like the hard link it
    does not follow later updates of the interpreter binary: rebuild the environment after
    one.  A shared build's copy loads libpython by the path the original has in its RUNPATH
    (absolute in pyenv's builds); a relative ``$ORIGIN/../lib`` one finds the linked
    ``lib/libpythonX.Y.so*`` of the environment.  CPython 3.14's shared builds look beside
    the loaded libpython first (PR 127972), for ``lib/python314.zip`` in it or above it and
    ``lib/python3.14/os.py`` below it, which an installation's ``PREFIX/lib/libpython3.14.so``
    does not have (no stdlib zip is installed), so the executable's directory still decides
    (from the model; no 3.14 here to confirm).

The environment's path
    TARGET made absolute, not resolved.  Linked targets are absolute, so the environment can
    be reached through a link to its directory: started as ``LINK/bin/python3``, the
    interpreter's prefix is ``LINK`` (getpath resolves links of the executable's last
    component only), which is the same tree.  Scripts name the environment's interpreter by
    TARGET's path.
"""

from __future__ import annotations

import re

from prefixlab.model.builders import buildenv
from prefixlab.model.world.build import behaviour_for
from prefixlab.model.builders.buildenv import CollisionError, FarmLink, MergeError, Package
from prefixlab.model.builders.flavours import EnvPlan, EnvRequest
from prefixlab.model.world.fs import FsView
from prefixlab.model.world.kernel import Errno, Resolver
from prefixlab.model.builders.plan import Copy, Link, Operation
from prefixlab.model.speedups import replace
from prefixlab.model.startup.sitepaths import site_packages
from prefixlab.model.trace import Step, rule

R_INTERPRETER = rule(
    "env.interpreter-copy", "interpreter",
    "The environment's pythonX.Y is a copy of the interpreter binary (python3 and python "
    "link to it): started by a path in the environment, the interpreter finds the "
    "environment's stdlib landmarks and takes it as its prefix and base prefix.",
    "CPython Modules/getpath.py (3.11+) / getpath.c: realpath of the executable, then the "
    "lib/pythonX.Y/os.py and lib-dynload landmarks upward from its directory")
R_SITE_DIR = rule(
    "env.site-dir", "merge",
    "The packages' site-packages are merged into the directory the interpreter's site module "
    "reads for the environment's prefix outside a venv.",
    "Lib/site.py getsitepackages; Debian's python3.X site.py patch (dist-packages)")


class StartupFileError(MergeError):
    """A package provides a file that changes how the environment's interpreter starts."""


def startup_files(version: str, major: int) -> dict[str, str]:
    """Paths of the environment a package must not provide, and what a file there does."""
    venv = "it would make the environment a venv (getpath reads pyvenv.cfg beside the " \
           "executable and one directory up)"
    pth = "a ._pth file beside the executable replaces sys.path and isolates the interpreter"
    build = "it would make getpath take bin for a build tree"
    return {"pyvenv.cfg": venv, "bin/pyvenv.cfg": venv,
            f"bin/{version}._pth": pth, f"bin/python{major}._pth": pth, "bin/python._pth": pth,
            "bin/pybuilddir.txt": build, "bin/Modules": build}


def names(request: EnvRequest) -> tuple[str, str]:
    """(pythonX.Y[t], the environment's interpreter path)."""
    build = request.interpreter.build
    name = f"python{build.version[0]}.{build.version[1]}{build.abi_thread}"
    return name, f"{request.target}/bin/{name}"


def site_dir(request: EnvRequest) -> str:
    """The environment's merged site directory, relative to it."""
    build = request.interpreter.build
    row = behaviour_for(build.version)
    platlibdir = build.platlibdir if row.has_platlibdir else "lib"
    version, _ = names(request)
    ordinary = f"lib/{version}/site-packages"
    found = [path[len(request.target) + 1:]
             for path in site_packages([request.target], build, row, platlibdir, in_venv=False)
             if path.startswith(request.target + "/")]
    if ordinary in found or not found:
        return ordinary
    return next((path for path in found if not path.startswith("local/")), found[0])


def interpreter_packages(fs: FsView, request: EnvRequest) -> list[Package]:
    """The interpreter's own files, as packages restricted to them (first, like nixpkgs'
    python in its ``paths``)."""
    base = request.interpreter
    build = base.build
    row = behaviour_for(build.version)
    platlibdir = build.platlibdir if row.has_platlibdir else "lib"
    version, _ = names(request)
    resolver = Resolver(fs)

    def existing(root: str, rels: list[str]) -> tuple[str, ...]:
        return tuple(rel for rel in rels if resolver.stat(f"{root}/{rel}") is not None)

    label = f"{base.given or base.binary} (the interpreter)"
    exclude = frozenset({f"lib/{version}/site-packages", f"lib/{version}/dist-packages",
                         f"{platlibdir}/{version}/site-packages"})
    pure = [f"lib/{version}", f"include/{version}{build.abiflags}"]
    plat = [f"{platlibdir}/{version}/lib-dynload"] if platlibdir != "lib" else []
    library = resolver.stat(f"{base.exec_prefix}/{platlibdir}")
    if library is not None and library.kind == "dir":
        found = resolver.realpath(f"{base.exec_prefix}/{platlibdir}")
        stem = f"libpython{build.version[0]}.{build.version[1]}"
        if not isinstance(found, Errno):
            plat += [f"{platlibdir}/{name}" for name in fs.children(found)
                     if name.startswith(stem)]
    if base.exec_prefix == base.prefix:
        return [Package(base.prefix, label=label, include=existing(base.prefix, pure + plat),
                        exclude=exclude)]
    return [Package(base.prefix, label=label, include=existing(base.prefix, pure),
                    exclude=exclude),
            Package(base.exec_prefix, label=label, include=existing(base.exec_prefix, plat),
                    exclude=exclude)]


def package_inputs(fs: FsView, request: EnvRequest, site: str) -> list[Package]:
    """The packages, with their site-packages placed at ``site`` where that differs."""
    version, _ = names(request)
    theirs = f"lib/{version}/site-packages"
    if site == theirs:
        return list(request.packages)
    resolver = Resolver(fs)
    out: list[Package] = []
    for package in request.packages:
        out.append(replace(package, exclude=package.exclude | {theirs}))
        found = resolver.stat(f"{package.root}/{theirs}")
        if found is not None and found.kind == "dir":
            out.append(Package(f"{package.root}/{theirs}", package.priority,
                               package.label or package.root, at=site))
    return out


def other_versions(fs: FsView, request: EnvRequest) -> list[str]:
    """Warnings for packages made for another Python version only (their modules would be
    linked where this interpreter never looks)."""
    version, _ = names(request)
    resolver = Resolver(fs)
    found = []
    for package in request.packages:
        lib = resolver.realpath(f"{package.root}/lib")
        entry = None if isinstance(lib, Errno) else resolver.stat(lib)
        if isinstance(lib, Errno) or entry is None or entry.kind != "dir":
            continue
        theirs = [name for name in fs.children(lib) if re.fullmatch(r"python\d+\.\d+t?", name)]
        if theirs and version not in theirs:
            found.append(f"{package.name}: has lib/{', lib/'.join(theirs)} but not lib/{version}: "
                         f"its modules are not importable by {version}")
    return found


def plan_env(fs: FsView, request: EnvRequest) -> EnvPlan:
    """The reference flavour's plan (raises buildenv.MergeError on a collision)."""
    version, python = names(request)
    site = site_dir(request)
    steps = [Step.of(R_SITE_DIR, "packages' site-packages merged into {site}", site=site)]
    inputs = interpreter_packages(fs, request) + package_inputs(fs, request, site)
    farm = buildenv.merge(fs, inputs, ignore_collisions=request.ignore_collisions,
                          real_dirs=["bin", site])
    warnings = list(farm.warnings) + other_versions(fs, request)
    for rel, why in startup_files(version, request.interpreter.build.version[0]).items():
        entry = farm.entries.get(rel)
        if entry is not None:
            where = entry.target if isinstance(entry, FarmLink) else f"{request.target}/{rel}"
            raise StartupFileError(f"{where}: a package may not provide {rel}: {why}")
    extra: list[Operation] = [Copy(f"bin/{version}", request.interpreter.binary)]
    for name in (version, f"python{request.interpreter.build.version[0]}", "python"):
        rel = f"bin/{name}"
        if name != version:
            extra.append(Link(rel, version))
        theirs = farm.entries.get(rel)
        if isinstance(theirs, FarmLink):
            if not request.ignore_collisions:
                raise CollisionError(rel, inputs[0].name, theirs.target)
            warnings.append(f"collision between '{theirs.target}' and the interpreter's "
                            f"{name}: the interpreter's kept")
    steps.append(Step.of(R_INTERPRETER, "bin/{version}: a copy of {binary}", version=version,
                         binary=request.interpreter.binary))
    resolver = Resolver(fs)
    taken = {op.path for op in extra}
    for rel, entry in farm.entries.items():
        if (not isinstance(entry, FarmLink) or rel in taken
                or not re.fullmatch(r"bin/[^/.][^/]*", rel)):
            continue
        # Imported for the first script: an environment without one does not pay for
        # the script readers.
        from prefixlab.model.builders import retarget

        done = retarget.retarget(fs, rel, entry.target, python, resolver)
        steps.append(done.step)
        if done.warning:
            warnings.append(done.warning)
        if done.op is not None:
            extra.append(done.op)
    steps.extend(farm.steps)
    return EnvPlan(buildenv.farm_plan(farm, extra), farm, tuple(steps), tuple(warnings))
