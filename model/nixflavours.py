"""The historical nixpkgs ``python.withPackages`` builders, emulated as flavours of ``build env``.

Each flavour is nixpkgs' ``wrapper.nix``: a buildEnv merge (:mod:`prefixlab.model.buildenv`) of
``[python] ++ packages`` followed by a ``postBuild`` that rewrites ``$out/bin``.  The four
postBuild versions (shared/research/nixpkgs-python-env.md sections 1.3 and 9):

``nix-classic`` (V0; nixpkgs #169307 to #442540, 2022-2025)
    Every regular file in a package's ``bin`` is removed from ``$out/bin``; the executable ones
    become makeBinaryWrapper wrappers setting ``NIX_PYTHONPREFIX``, ``NIX_PYTHONEXECUTABLE``,
    ``NIX_PYTHONPATH`` (and ``PYTHONNOUSERSITE``).  argv[0] is the wrapped store path, so the
    interpreter starts from the base python, and the base python's sitecustomize moves
    ``sys.prefix`` (not ``sys.base_prefix``) to the environment: it looks like a venv.
``nix-297628`` (V1; merged to staging 2024-03-22, reverted by #302385)
    No NIX_* variables and no sitecustomize.  A file with a hidden ``.NAME-wrapped`` sibling is
    "unwrapped": ``#!$out/bin/python3.X`` followed by ``sed -e '1d' -e '3d' .NAME-wrapped``,
    which deletes whatever line 3 is.  Everything else gets a wrapper with ``--argv0
    $out/bin/NAME`` (the stored code) or ``--inherit-argv0`` (what the commit message and
    #275701 describe): the ``argv0_mode`` parameter.
``nix-inherit-argv0`` (V2; #442540) and ``nix-resolve-argv0`` (V3; #462090, today's nixpkgs)
    Only ``bin/python3.X`` is wrapped to start the interpreter with an inherited argv[0] (V3
    also resolves a bare argv[0] on PATH, as the C wrapper's ``resolve_argv0``); a link whose
    ``readlink`` text is ``python3.X`` becomes a relative link; every other executable keeps
    the classic NIX_* wrapper.  Non-executable files are left alone.

How nixpkgs' inputs map to ours:

* ``python`` is a *store python* that this module lays out inside the environment, at
  ``.store/python3-X.Y.Z`` (:func:`base_python`): ``bin/python3.X`` is a copy of the real
  interpreter binary (a copy, because CPython resolves links of its executable before the
  prefix search), ``bin/python3 -> python3.X`` and ``bin/python -> <store>/bin/python3``
  (absolute, as cpython/default.nix @482a59bb makes it), and ``lib/python3.X`` links to the
  real standard library entry by entry around a real ``site-packages`` that holds only the
  sitecustomize (classic, V2, V3) or nothing (V1).  The real base interpreter cannot be
  written to, and a sitecustomize only in the environment's own site-packages would never run
  in the classic flavour, whose interpreter starts from the base's prefix.  The sitecustomize
  text is a parameter: prefixlab's stand-in (:mod:`prefixlab.impl.nixsite`), which the site
  model recognises by its digest.  On Debian's python (whose site.py reads ``dist-packages``)
  the sitecustomize goes to ``lib/python3.X/dist-packages`` of the store python.
* ``paths`` is ``[python] ++ packages`` in the order given (``requiredPythonModules`` puts the
  interpreter first and then the requested modules and their closure; the user gives that
  closure, flattened); V2 and V3 add an empty ``bin`` package last, as wrapper.nix does.
* ``makeWrapperArgs`` strings are joined with blanks and read as bash words, as the postBuild
  text that splices them in unquoted is read by bash (quotes work, blanks split; globs and
  command substitutions are refused).  ``permitUserSite`` drops ``PYTHONNOUSERSITE``.

The result is a plan (:mod:`prefixlab.model.plan`) whose wrappers are :class:`CWrapper`
operations: the writer compiles them with gcc, as nixpkgs does (``prefixlab.impl.nixbuild``
takes them from its cache of compiled wrappers instead).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from prefixlab.model import bashwords
from prefixlab.model.build import BuildConstants
from prefixlab.model.buildenv import (Farm, FarmLink, MergeError, Package, farm_plan, merge,
                                      nixpkgs_skip)
from prefixlab.model.fs import Dir, File, FsView, Layout, Overlay, Symlink
from prefixlab.model.kernel import Errno, Resolver
from prefixlab.model.plan import Copy, CWrapper, Link, Mkdir, Operation, Write
from prefixlab.model.trace import Step, rule

Flavour = Literal["nix-classic", "nix-297628", "nix-inherit-argv0", "nix-resolve-argv0"]
FLAVOURS: tuple[Flavour, ...] = ("nix-classic", "nix-297628", "nix-inherit-argv0",
                                 "nix-resolve-argv0")
Argv0Mode = Literal["fixed", "inherit"]

STORE = ".store"
"""Where the store python lives inside the environment."""

R_WRAP_NIX = rule(
    "nixenv.wrap-nix-vars", "postbuild",
    "An executable regular file of a package's bin becomes a makeBinaryWrapper wrapper of the "
    "package's file that sets NIX_PYTHONPREFIX, NIX_PYTHONEXECUTABLE, NIX_PYTHONPATH (and "
    "PYTHONNOUSERSITE); argv[0] is the package's path.",
    "nixpkgs pkgs/development/interpreters/python/wrapper.nix postBuild (classic; the "
    "non-interpreter branch of #442540/#462090)")
R_REMOVE = rule(
    "nixenv.remove-file", "postbuild",
    "A regular file of a package's bin is removed from the environment's bin (classic and "
    "#297628 remove it even when it is not executable).",
    "nixpkgs wrapper.nix postBuild: `if [ -f \"$prg\" ]; then rm -f \"$out/bin/$prg\"`")
R_UNWRAP_LINE3 = rule(
    "nixenv.unwrap-line3", "postbuild",
    "#297628: when bin/.NAME-wrapped exists, bin/NAME becomes '#!$out/bin/python3.X' "
    "followed by the hidden file without its lines 1 and 3 (sed -e 1d -e 3d), whatever "
    "line 3 is.",
    "nixpkgs commit 96118850f3 (PR #297628), reverted by #302385")
R_WRAP_ARGV0 = rule(
    "nixenv.wrap-argv0", "postbuild",
    "#297628: any other executable becomes a wrapper that sets argv[0] to $out/bin/NAME "
    "(--argv0, the stored code) or passes the caller's (--inherit-argv0); no NIX_* variables.",
    "nixpkgs PR #297628 wrapper.nix; #275701 (inherit)")
R_WRAP_INTERPRETER = rule(
    "nixenv.wrap-interpreter", "postbuild",
    "bin/python3.X becomes a wrapper of the store python that keeps the caller's argv[0] "
    "(--inherit-argv0), and resolves a bare name on PATH first (--resolve-argv0, #462090).",
    "nixpkgs #442540 (inherit), #462090 (resolve); wrapper.nix postBuild")
R_RELINK = rule(
    "nixenv.relink", "postbuild",
    "An entry whose readlink text is exactly python3.X becomes the relative link python3.X; "
    "an absolute link to the interpreter does not match and gets the NIX_* wrapper.",
    "nixpkgs wrapper.nix postBuild (#442540): [ \"$(readlink \"$prg\")\" = python3.X ]")


class NixFlavourError(MergeError):
    """The inputs cannot be built by this flavour (one line, naming what is wrong); a
    MergeError, so that ``build env`` reports it as bad input like a collision."""


@dataclass(frozen=True)
class BasePython:
    """The real interpreter the store python is made from."""

    binary: str
    """The real interpreter binary (absolute, resolved): copied to bin/python3.X."""
    version: tuple[int, int, int]
    stdlib: str
    """The real standard library directory (absolute), e.g. PREFIX/lib/python3.12."""
    libdir: str = ""
    """The real PREFIX/lib, whose libpython* entries are linked (a $ORIGIN run path finds
    them); '' for none."""
    abi_thread: str = ""
    include: str = ""
    """The real PREFIX/include, whose python* entries (the headers) are linked; '' for none."""
    site_dir: str = "site-packages"
    """The name under lib/python3.X that the interpreter's site.py reads for a prefix that is
    not a venv: site-packages, or dist-packages on Debian's build."""

    @property
    def executable(self) -> str:
        """python.executable (libPrefix): python3.X."""
        return f"python{self.version[0]}.{self.version[1]}{self.abi_thread}"

    @property
    def name(self) -> str:
        """python.name: python3-X.Y.Z."""
        return "python%d-%d.%d.%d" % (self.version[0], *self.version)

    @property
    def lib_subdir(self) -> str:
        return f"lib/{self.executable}"


@dataclass(frozen=True)
class NixEnvPlan:
    """What a nix flavour builds: the plan, and its wrappers (also in the plan)."""

    flavour: Flavour
    ops: tuple[Operation, ...]
    wrappers: tuple[CWrapper, ...]
    farm: Farm
    steps: tuple[Step, ...] = ()
    warnings: tuple[str, ...] = ()


def base_of(binary: str, build: BuildConstants, prefix: str, exec_prefix: str) -> BasePython:
    """The store python's source: an interpreter binary, its build constants, and its
    sys.base_prefix and sys.base_exec_prefix."""
    return BasePython(binary=binary, version=build.version,
                      stdlib=f"{prefix}/{build.stdlib_subdir}",
                      libdir=f"{exec_prefix}/{build.platlibdir}", abi_thread=build.abi_thread,
                      include=f"{prefix}/include",
                      site_dir="dist-packages" if build.flavour == "debian" else "site-packages")


# -- the store python ----------------------------------------------------------------------------
def store_python(target: str, base: BasePython) -> str:
    """The store python's interpreter in an environment at ``target``: what packages built for
    that environment name in their #! lines (nixpkgs' ``python.interpreter``)."""
    return f"{target}/{STORE}/{base.name}/bin/{base.executable}"


def base_python(fs: FsView, base: BasePython, root: str,
                sitecustomize: bytes | None) -> tuple[Layout, tuple[Operation, ...]]:
    """The store python at ``root`` (absolute, as written) as a layout (for the merge to read)
    and as plan operations relative to ``root``."""
    resolver = Resolver(fs)
    names = _children(fs, resolver, base.stdlib)
    if "os.py" not in names:
        raise NixFlavourError(f"{base.stdlib}: no os.py, not a standard library directory")
    lib = base.lib_subdir
    site = f"{lib}/{base.site_dir}"
    py3 = f"python{base.version[0]}"
    ops: list[Operation] = [Mkdir("bin"), Copy(f"bin/{base.executable}", base.binary),
                            Link(f"bin/{py3}", base.executable),
                            # cpython/default.nix @482a59bb: ln -s "$out/bin/python3" "$out/bin/python"
                            Link("bin/python", f"{root}/bin/{py3}"),
                            Mkdir("lib"), Mkdir(lib)]
    for directory, start, into in ((base.libdir, "libpython", "lib"),
                                   (base.include, "python", "include")):
        found = resolver.stat(directory) if directory else None
        if found is not None and found.kind == "dir":
            if into != "lib":
                ops.append(Mkdir(into))
            ops += [Link(f"{into}/{n}", f"{directory}/{n}")
                    for n in _children(fs, resolver, directory) if n.startswith(start)]
    # Debian's stdlib carries its own sitecustomize.py (a link into /etc), which would shadow
    # the site directory's: nixpkgs' python has none there.
    ops += [Link(f"{lib}/{n}", f"{base.stdlib}/{n}") for n in names
            if n not in (base.site_dir, "sitecustomize.py")]
    ops.append(Mkdir(site))
    if sitecustomize is not None:
        ops.append(Write(f"{site}/sitecustomize.py", sitecustomize, 0o444))
    ops.sort(key=lambda op: op.path)
    layout = Layout({root: Dir()})
    for op in ops:
        path = f"{root}/{op.path}"
        if isinstance(op, Mkdir):
            layout = layout.with_node(path, Dir(op.mode))
        elif isinstance(op, Link):
            layout = layout.with_node(path, Symlink(op.target))
        elif isinstance(op, Write):
            layout = layout.with_node(path, File(op.data, op.mode))
        else:  # the binary: only its kind and mode matter to the merge and the postBuild
            layout = layout.with_node(path, File(b"\x7fELF", 0o555))
    return layout, tuple(ops)


def _children(fs: FsView, resolver: Resolver, directory: str) -> tuple[str, ...]:
    physical = resolver.realpath(directory)
    if not isinstance(physical, str) or resolver.stat(physical) is None:
        raise NixFlavourError(f"{directory}: cannot be listed")
    return fs.children(physical)


# -- makeWrapperArgs and the wrapper flags -------------------------------------------------------
_UNSAFE_IN_UNQUOTED = re.compile(r"[\s'\"\\$`*?\[\]{};&|<>()]")


def wrapper_args(make_wrapper_args: Sequence[str], out: str) -> tuple[str, ...]:
    """``${lib.concatStringsSep " " makeWrapperArgs}`` as bash reads it in the postBuild
    text: joined with blanks, then quoting, ``$out`` and field splitting."""
    text = " ".join(make_wrapper_args)
    if not text.strip():
        return ()
    try:
        return tuple(bashwords.words(text, bashwords.Context({"out": out})))
    except bashwords.Unsupported as why:
        raise NixFlavourError(f"makeWrapperArgs {text!r}: {why}") from None


def _nix_flags(out: str, base: BasePython, user_site: tuple[str, ...],
               extra: tuple[str, ...]) -> tuple[str, ...]:
    return ("--set", "NIX_PYTHONPREFIX", out,
            "--set", "NIX_PYTHONEXECUTABLE", f"{out}/bin/{base.executable}",
            "--set", "NIX_PYTHONPATH", f"{out}/{base.lib_subdir}/site-packages",
            *user_site, *extra)


# -- sed -e '1d' -e '3d' ------------------------------------------------------------------------
def sed_delete_lines(data: bytes, numbers: Sequence[int]) -> bytes:
    """What GNU sed prints for ``sed -e 'Nd' ...``: the input without those (1-based) lines;
    a last line without a newline is printed without one."""
    lines = _split_lf(data)
    drop = set(numbers)
    return b"".join(line for i, line in enumerate(lines, 1) if i not in drop)


def _split_lf(data: bytes) -> list[bytes]:
    """Lines end at LF only (sed does not treat CR as a line end)."""
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unwrapped_script(out: str, base: BasePython, hidden: bytes) -> bytes:
    """#297628's bin/NAME: ``echo "#!${pythonExecutable}"`` then the sed output appended."""
    return f"#!{out}/bin/{base.executable}\n".encode("utf-8", "surrogateescape") + \
        sed_delete_lines(hidden, (1, 3))


# -- the environment ------------------------------------------------------------------------------
@dataclass
class _Bin:
    """``$out/bin`` while the postBuild runs: name -> what is there."""

    entries: dict[str, Operation]


def plan_env(fs: FsView, target: str, base: BasePython, packages: Sequence[Package],
             flavour: Flavour, *, sitecustomize: bytes, argv0_mode: Argv0Mode = "fixed",
             ignore_collisions: bool = False, permit_user_site: bool = False,
             make_wrapper_args: Sequence[str] = (), target_physical: str | None = None
             ) -> NixEnvPlan:
    """The environment ``flavour`` builds at ``target`` (absolute, as written).

    ``fs`` shows the real packages and interpreter; ``target_physical`` is where ``target``
    really is (its directory's links resolved), where the planned store python is mounted
    for the merge to read.
    """
    if flavour not in FLAVOURS:
        raise NixFlavourError(f"unknown nix flavour {flavour!r}")
    if not target.startswith("/"):
        raise NixFlavourError(f"{target}: the environment path must be absolute")
    if _UNSAFE_IN_UNQUOTED.search(target):
        # wrapper.nix splices ${pythonExecutable} and ${pythonPath} unquoted into bash.
        raise NixFlavourError(f"{target}: nixpkgs' postBuild splits or expands this path "
                              "(blank or shell character); store paths have none")
    store_root = f"{target}/{STORE}/{base.name}"
    with_site = flavour != "nix-297628"
    layout, base_ops = base_python(fs, base, store_root, sitecustomize if with_site else None)
    # The planned tree, mounted where TARGET really is: the merge reads the store python
    # there (and nothing of a TARGET that --force will replace).
    mount = target_physical or target
    moved = Layout({mount: Dir()})
    for path, node in layout.items():
        if path == store_root or path.startswith(store_root + "/"):
            moved = moved.with_node(mount + path[len(target):], node)
    view = Overlay(fs, ((mount, moved),))
    python = Package(store_root, label=f"{base.name} (store python)")
    paths = [python, *packages]
    extra_bin = flavour in ("nix-inherit-argv0", "nix-resolve-argv0")
    farm = merge(view, paths, ignore_collisions=ignore_collisions, skip=nixpkgs_skip,
                 real_dirs=("bin",) if extra_bin else ())
    extra = wrapper_args(make_wrapper_args, target)
    user_site = () if permit_user_site else ("--set", "PYTHONNOUSERSITE", "true")
    ops = {op.path: op for op in farm_plan(farm)}
    steps: list[Step] = list(farm.steps)
    bin_entry = farm.entries.get("bin")
    if isinstance(bin_entry, FarmLink) or bin_entry is None:
        # classic and #297628: `if [ -L "$out/bin" ]; then unlink; fi; mkdir -p "$out/bin"`
        # (V2/V3's empty bin package makes it a real directory already).
        ops["bin"] = Mkdir("bin")
    current = {p[4:]: op for p, op in ops.items() if p.startswith("bin/") and "/" not in p[4:]}
    state = _Bin(dict(current))
    if flavour == "nix-297628":
        for name in [n for n in state.entries if n.startswith(".") and n.endswith("-wrapped")]:
            del state.entries[name]  # rm -f $out/bin/.*-wrapped
    resolver = Resolver(view)
    for package in paths:
        bin_dir = f"{package.root}/bin"
        found = resolver.stat(bin_dir)
        if found is None or found.kind != "dir":
            continue
        physical_bin = resolver.realpath(bin_dir)
        assert isinstance(physical_bin, str)
        for prg in view.children(physical_bin):
            if prg.startswith("."):
                continue  # the glob * skips hidden names
            source = f"{bin_dir}/{prg}"
            entry = resolver.stat(source)
            is_file = entry is not None and entry.kind == "file"
            executable = is_file and entry is not None and bool(entry.mode & 0o111)
            out_path = f"bin/{prg}"
            if flavour == "nix-classic":
                if is_file:
                    state.entries.pop(prg, None)
                    steps.append(Step(R_REMOVE, f"{out_path}: removed"))
                    if executable:
                        state.entries[prg] = CWrapper(
                            out_path, source, _nix_flags(target, base, user_site, extra))
                        steps.append(Step(R_WRAP_NIX, f"{out_path}: wraps {source}"))
            elif flavour == "nix-297628":
                if is_file:
                    state.entries.pop(prg, None)
                    steps.append(Step(R_REMOVE, f"{out_path}: removed"))
                    if executable:
                        hidden = f"{bin_dir}/.{prg}-wrapped"
                        hidden_entry = resolver.stat(hidden)
                        if hidden_entry is not None and hidden_entry.kind == "file":
                            data = resolver.read_file(hidden)
                            if isinstance(data, Errno):
                                raise NixFlavourError(f"{hidden}: cannot be read")
                            state.entries[prg] = Write(out_path, unwrapped_script(
                                target, base, data), 0o755)
                            steps.append(Step(R_UNWRAP_LINE3, f"{out_path}: from {hidden}"))
                        else:
                            argv0 = (("--inherit-argv0",) if argv0_mode == "inherit"
                                     else ("--argv0", f"{target}/{out_path}"))
                            state.entries[prg] = CWrapper(
                                out_path, source, (*argv0, *user_site, *extra))
                            steps.append(Step(R_WRAP_ARGV0, f"{out_path}: wraps {source}"))
            elif executable:
                state.entries.pop(prg, None)
                if prg == base.executable:
                    flags: tuple[str, ...] = ("--inherit-argv0",)
                    if flavour == "nix-resolve-argv0":
                        flags += ("--resolve-argv0",)
                    state.entries[prg] = CWrapper(
                        out_path, f"{store_root}/bin/{base.executable}",
                        (*flags, *user_site, *extra))
                    steps.append(Step(R_WRAP_INTERPRETER, f"{out_path}: wraps the interpreter"))
                elif resolver.readlink(source) == base.executable:
                    state.entries[prg] = Link(out_path, base.executable)
                    steps.append(Step(R_RELINK, f"{out_path} -> {base.executable}"))
                else:
                    state.entries[prg] = CWrapper(
                        out_path, source, _nix_flags(target, base, user_site, extra))
                    steps.append(Step(R_WRAP_NIX, f"{out_path}: wraps {source}"))
    for name in current:
        if name not in state.entries:
            del ops[f"bin/{name}"]
    for name, op in state.entries.items():
        ops[f"bin/{name}"] = op
    wrappers = [op for op in state.entries.values() if isinstance(op, CWrapper)]
    # the store python, planned inside the environment
    ops[STORE] = Mkdir(STORE)
    prefix = f"{STORE}/{base.name}"
    ops[prefix] = Mkdir(prefix)
    for op in base_ops:
        ops[f"{prefix}/{op.path}"] = _moved(op, f"{prefix}/{op.path}")
    planned = tuple(ops[path] for path in sorted(ops))
    return NixEnvPlan(flavour, planned, tuple(sorted(wrappers, key=lambda w: w.path)), farm,
                      tuple(steps), farm.warnings)


def _moved(op: Operation, path: str) -> Operation:
    if isinstance(op, Mkdir):
        return Mkdir(path, op.mode)
    if isinstance(op, Link):
        return Link(path, op.target)
    if isinstance(op, Write):
        return Write(path, op.data, op.mode)
    if isinstance(op, CWrapper):
        return CWrapper(path, op.executable, op.flags)
    return Copy(path, op.source)
