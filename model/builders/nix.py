"""The historical nixpkgs ``python.withPackages`` builders, emulated as flavours of ``build env``.

Each flavour is nixpkgs' ``wrapper.nix``: a buildEnv merge (:mod:`prefixlab.model.builders.buildenv`) of
``[python] ++ packages`` followed by a ``postBuild`` that rewrites ``$out/bin``.  The four
postBuild versions (NixOS/nixpkgs pkgs/development/interpreters/python/wrapper.nix, its
``postBuild`` before and after each of the PRs named below):

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
  text is a parameter: prefixlab's stand-in (the real side's, impl/builders/nixsite.py), which the site
  model recognises by its digest.  On Debian's python (whose site.py reads ``dist-packages``)
  the sitecustomize goes to ``lib/python3.X/dist-packages`` of the store python.
* ``paths`` is ``[python] ++ packages`` in the order given (``requiredPythonModules`` puts the
  interpreter first and then the requested modules and their closure; the user gives that
  closure, flattened); V2 and V3 add an empty ``bin`` package last, as wrapper.nix does.
* ``makeWrapperArgs`` strings are joined with blanks and read as bash words, as the postBuild
  text that splices them in unquoted is read by bash (quotes work, blanks split; globs and
  command substitutions are refused).  ``permitUserSite`` drops ``PYTHONNOUSERSITE``.

The result is a plan (:mod:`prefixlab.model.builders.plan`) whose wrappers are :class:`CWrapper`
operations: the writer compiles them with gcc, as nixpkgs does (the real side, impl/builders/nix.py,
takes them from its cache of compiled wrappers instead).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Literal

from prefixlab.model.exec import bashwords
from prefixlab.model.speedups import dataclass
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.builders.buildenv import (Farm, FarmLink, MergeError, Package, farm_plan, merge,
                                      nixpkgs_skip)
from prefixlab.model.world.fs import Dir, File, FsView, Layout, Overlay, Symlink
from prefixlab.model.world.kernel import Errno, Resolver
from prefixlab.model.builders.plan import Copy, CWrapper, Link, Mkdir, Operation, Write
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
    """What a nix flavour builds: the plan (its wrappers are the plan's CWrapper ops)."""

    flavour: Flavour
    ops: tuple[Operation, ...]
    farm: Farm
    steps: tuple[Step, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def wrappers(self) -> tuple[CWrapper, ...]:
        return tuple(op for op in self.ops if isinstance(op, CWrapper))


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
@dataclass(frozen=True)
class _Program:
    """One name the postBuild's ``for prg in *`` meets in a package's bin."""

    name: str
    source: str
    """$path/bin/$prg."""
    is_file: bool
    """[ -f "$prg" ]: a regular file, links followed."""
    executable: bool
    """[ -x "$prg" ] as well."""

    @property
    def out(self) -> str:
        return f"bin/{self.name}"


@dataclass
class _PostBuild:
    """What a postBuild works with: ``bin`` holds ``$out/bin`` as it is rewritten."""

    target: str
    base: BasePython
    store_root: str
    user_site: tuple[str, ...]
    extra: tuple[str, ...]
    argv0_mode: Argv0Mode
    resolver: Resolver
    bin: dict[str, Operation]
    steps: list[Step]

    def nix_wrapper(self, program: _Program) -> None:
        self.bin[program.name] = CWrapper(program.out, program.source, _nix_flags(
            self.target, self.base, self.user_site, self.extra))
        self.steps.append(Step.of(R_WRAP_NIX, "{entry}: wraps {source}", entry=program.out,
                                  source=program.source))

    def remove(self, program: _Program) -> None:
        self.bin.pop(program.name, None)
        self.steps.append(Step.of(R_REMOVE, "{entry}: removed", entry=program.out))


def _classic(post: _PostBuild, program: _Program) -> None:
    """V0: rm -f every regular file; wrap the executables with the NIX_* variables."""
    if program.is_file:
        post.remove(program)
        if program.executable:
            post.nix_wrapper(program)


def _pr297628(post: _PostBuild, program: _Program) -> None:
    """V1: rm -f every regular file; unwrap an executable with a .NAME-wrapped sibling by
    line numbers, wrap the others with an argv[0] and no NIX_* variables."""
    if not program.is_file:
        return
    post.remove(program)
    if not program.executable:
        return
    hidden = f"{program.source.rpartition('/')[0]}/.{program.name}-wrapped"
    found = post.resolver.stat(hidden)
    if found is not None and found.kind == "file":
        data = post.resolver.read_file(hidden)
        if isinstance(data, Errno):
            raise NixFlavourError(f"{hidden}: cannot be read")
        post.bin[program.name] = Write(program.out, unwrapped_script(post.target, post.base,
                                                                     data), 0o755)
        post.steps.append(Step.of(R_UNWRAP_LINE3, "{entry}: from {source}", entry=program.out,
                                  source=hidden))
        return
    argv0 = (("--inherit-argv0",) if post.argv0_mode == "inherit"
             else ("--argv0", f"{post.target}/{program.out}"))
    post.bin[program.name] = CWrapper(program.out, program.source,
                                      (*argv0, *post.user_site, *post.extra))
    post.steps.append(Step.of(R_WRAP_ARGV0, "{entry}: wraps {source}", entry=program.out,
                              source=program.source))


def _current(resolve: bool) -> Callable[[_PostBuild, _Program], None]:
    """V2 (#442540) and V3 (#462090, resolve): only executables are touched; the interpreter
    keeps the caller's argv[0], a link whose text is python3.X is relinked, the rest get the
    NIX_* wrapper."""
    def postbuild(post: _PostBuild, program: _Program) -> None:
        if not program.executable:
            return
        post.bin.pop(program.name, None)
        executable = post.base.executable
        if program.name == executable:
            flags = ("--inherit-argv0", *(("--resolve-argv0",) if resolve else ()))
            post.bin[program.name] = CWrapper(program.out, f"{post.store_root}/bin/{executable}",
                                              (*flags, *post.user_site, *post.extra))
            post.steps.append(Step.of(R_WRAP_INTERPRETER, "{entry}: the interpreter",
                                      entry=program.out))
        elif post.resolver.readlink(program.source) == executable:
            post.bin[program.name] = Link(program.out, executable)
            post.steps.append(Step.of(R_RELINK, "{entry} -> {target}", entry=program.out,
                                      target=executable))
        else:
            post.nix_wrapper(program)
    return postbuild


_POSTBUILD: dict[Flavour, Callable[[_PostBuild, _Program], None]] = {
    "nix-classic": _classic, "nix-297628": _pr297628,
    "nix-inherit-argv0": _current(resolve=False), "nix-resolve-argv0": _current(resolve=True)}


def _programs(view: FsView, resolver: Resolver, root: str) -> list[_Program]:
    """``[ -d "$path/bin" ] && cd "$path/bin" && for prg in *``: the glob skips hidden names."""
    bin_dir = f"{root}/bin"
    found = resolver.stat(bin_dir)
    physical = resolver.realpath(bin_dir)
    if found is None or found.kind != "dir" or not isinstance(physical, str):
        return []
    programs = []
    for name in view.children(physical):
        if name.startswith("."):
            continue
        entry = resolver.stat(f"{bin_dir}/{name}")
        is_file = entry is not None and entry.kind == "file"
        programs.append(_Program(name, f"{bin_dir}/{name}", is_file,
                                 is_file and entry is not None and bool(entry.mode & 0o111)))
    return programs


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
    with_site = flavour != "nix-297628"  # commit 1 of #297628 removed the sitecustomize
    layout, base_ops = base_python(fs, base, store_root, sitecustomize if with_site else None)
    # The planned tree, mounted where TARGET really is: the merge reads the store python
    # there (and nothing of a TARGET that --force will replace).
    mount = target_physical or target
    moved = Layout({mount: Dir()})
    for path, node in layout.items():
        if path == store_root or path.startswith(store_root + "/"):
            moved = moved.with_node(mount + path[len(target):], node)
    view = Overlay(fs, ((mount, moved),))
    paths = [Package(store_root, label=f"{base.name} (store python)"), *packages]
    # V2/V3 add an empty `bin` package: $out/bin is always a real directory there.
    extra_bin = flavour in ("nix-inherit-argv0", "nix-resolve-argv0")
    farm = merge(view, paths, ignore_collisions=ignore_collisions, skip=nixpkgs_skip,
                 real_dirs=("bin",) if extra_bin else ())
    ops = {op.path: op for op in farm_plan(farm)}
    if isinstance(farm.entries.get("bin"), FarmLink) or "bin" not in farm.entries:
        # classic and #297628: `if [ -L "$out/bin" ]; then unlink; fi; mkdir -p "$out/bin"`
        ops["bin"] = Mkdir("bin")
    linked = {p[4:]: op for p, op in ops.items() if p.startswith("bin/") and "/" not in p[4:]}
    resolver = Resolver(view)
    post = _PostBuild(target, base, store_root,
                      () if permit_user_site else ("--set", "PYTHONNOUSERSITE", "true"),
                      wrapper_args(make_wrapper_args, target), argv0_mode, resolver,
                      dict(linked), list(farm.steps))
    if flavour == "nix-297628":
        for name in [n for n in post.bin if n.startswith(".") and n.endswith("-wrapped")]:
            del post.bin[name]  # rm -f $out/bin/.*-wrapped
    for package in paths:
        for program in _programs(view, resolver, package.root):
            _POSTBUILD[flavour](post, program)
    for name in linked:
        if name not in post.bin:
            del ops[f"bin/{name}"]
    for name, op in post.bin.items():
        ops[f"bin/{name}"] = op
    # the store python, planned inside the environment
    ops[STORE] = Mkdir(STORE)
    prefix = f"{STORE}/{base.name}"
    ops[prefix] = Mkdir(prefix)
    for op in base_ops:
        ops[f"{prefix}/{op.path}"] = _moved(op, f"{prefix}/{op.path}")
    return NixEnvPlan(flavour, tuple(ops[path] for path in sorted(ops)), farm,
                      tuple(post.steps), farm.warnings)


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
