"""Package sets for composed environments: prefix-like trees and the scripts packagers leave.

A package is a tree ``lib/pythonX.Y/site-packages/...`` plus ``bin/``, as ``build env``
takes it.  A set covers what buildEnv merges have to handle (nixpkgs
pkgs/build-support/buildenv/builder.pl): modules and regular packages linked whole, shared
namespace directories (``google/``, ``zope/``, with an identical pkgutil-style
``__init__.py`` or none) that must be exploded, identical files in several packages
(allowed), and these scripts:

* ``plain``: a Python script whose ``#!`` names the interpreter the package was built for
  (sometimes ``/usr/bin/env python3``, and sometimes kept in ``libexec/`` behind a link);
* ``nix-wrapped``: nixpkgs' wrapPythonPrograms pair, ``bin/.NAME-wrapped`` (the script with
  the preamble where nixpkgs' sed puts it, :mod:`prefixlab.model.scripts.nixwrap`) and ``bin/NAME``, a
  makeShellWrapper wrapper (``wrapProgram``: ``--inherit-argv0``, PATH, PYTHONNOUSERSITE, a
  variable of its own, sometimes flags drawn by :mod:`prefixlab.model.strategies.wrappers`);
* ``binary-wrapped``: the same with a makeBinaryWrapper wrapper (compiled by the impl side);
* ``double-wrapped``: wrapProgram run twice, ``bin/NAME`` -> ``bin/.NAME-wrapped_`` ->
  ``bin/.NAME-wrapped``, each wrapper setting a variable of its own;
* ``shell-tool``: a ``#!/bin/sh`` program wrapped with wrapProgram (not Python);
* ``trampoline``: pypa/installer's long-shebang form, ``#!/bin/sh`` /
  ``'''exec' PYTHON "$0" "$@"`` / ``' '''`` then the Python code;
* ``symlink``: ``bin/ALIAS`` a link to another script of the package (in ``bin/`` or
  ``libexec/``).

Python script bodies are the shapes of :func:`prefixlab.model.strategies.scripts.python_scripts`
(docstrings, ``__future__`` imports, cookies, continuations, CR-LF ...), kept only when CPython
compiles them, then instrumented for :mod:`prefixlab.model.builders.envspec`: a marker line before the
first statement (where a line-deleting unwrapper strikes first), the probe, a last marker.

Paths are written under two placeholders bound by :meth:`PackageSet.bind`: :data:`ROOT`, the
directory holding the package trees, and :data:`PYTHON`, the interpreter the packages were
built for (the base interpreter for the reference flavour, the store python for the nix ones).
Wrappers are kept as specifications (original, flags); the impl side writes their text
(impl/builders/wrapgen.py) or compiles them.  Shrinks toward one package with one module.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from prefixlab.model.builders import envspec
from prefixlab.model.speedups import dataclass, replace
from prefixlab.model.world.fs import File, Layout, Node, Symlink
from prefixlab.model.scripts.nixwrap import NixWrap, wrap_python_programs
from prefixlab.model.strategies._checks import (
    check_at_least, check_one_of, check_type, check_version)
from prefixlab.model.strategies.scripts import python_scripts
from prefixlab.model.builders.envspec import ScriptExpectation
from prefixlab.model.strategies.wrappers import flag_lists

ROOT = "/@prefixlab-packages@"
PYTHON = "/@prefixlab-python@/bin/python"
"""Contains '/python', as wrapPythonPrograms requires of the interpreters it patches."""
PYTHON_BIN = "/@prefixlab-python@/bin"
"""The directory of PYTHON, bound to the bound interpreter's directory."""

KINDS = ("plain", "nix-wrapped", "binary-wrapped", "double-wrapped", "shell-tool",
         "trampoline", "symlink")
ENV_PYTHON = b"/usr/bin/env python3"
"""A #! through env: runs whatever python3 PATH has (wrap.sh rewrites it for wrapped
scripts; a plain one keeps it)."""
OPTIONS = ("", "-O", "-E", "-s", "-B", "-u", "-Es")
"""#! arguments whose effect the probe can see (envspec.OPTION_FLAGS)."""
VALUES = ("x", "a b", "it's", "$HOME", "é")
NAMESPACES = ("google", "zope")
PKGUTIL_INIT = b"__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"


@dataclass(frozen=True)
class WrapperSpec:
    """A wrapper to generate: ``make{Shell,Binary}Wrapper ORIGINAL PATH FLAGS``."""

    path: str
    """Relative to the package root."""
    original: str
    flags: tuple[str, ...]
    binary: bool = False


@dataclass(frozen=True)
class EnvPackage:
    name: str
    nodes: tuple[tuple[str, Node], ...]
    """Relative to the package root."""
    wrappers: tuple[WrapperSpec, ...] = ()
    modules: tuple[str, ...] = ()
    scripts: tuple[ScriptExpectation, ...] = ()
    features: tuple[str, ...] = ()
    priority: int | None = None
    """``--package DIR=PRIORITY`` (None: no priority given, buildEnv's default)."""


@dataclass(frozen=True)
class BoundWrapper:
    path: str
    """Absolute."""
    original: str
    flags: tuple[str, ...]
    binary: bool


@dataclass(frozen=True)
class BoundSet:
    layout: Layout
    roots: tuple[str, ...]
    """The package roots, in order."""
    wrappers: tuple[BoundWrapper, ...]
    modules: tuple[str, ...]
    scripts: tuple[ScriptExpectation, ...]
    priorities: tuple[int | None, ...] = ()
    """Each root's priority, in the order of ``roots``."""

    def package_args(self) -> tuple[str, ...]:
        """The roots as ``--package`` values: ``DIR`` or ``DIR=PRIORITY``."""
        priorities = self.priorities or (None,) * len(self.roots)
        return tuple(root if prio is None else f"{root}={prio}"
                     for root, prio in zip(self.roots, priorities, strict=True))


def _bind(text: str, root: str, python: str) -> str:
    return text.replace(ROOT, root).replace(PYTHON, python).replace(
        PYTHON_BIN, python.rpartition("/")[0])


def _bind_bytes(data: bytes, root: str, python: str) -> bytes:
    return _bind(data.decode("utf-8", "surrogateescape"), root, python).encode(
        "utf-8", "surrogateescape")


@dataclass(frozen=True)
class PackageSet:
    version: tuple[int, int]
    packages: tuple[EnvPackage, ...]

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(sorted({f for p in self.packages for f in p.features}))

    def bind(self, root: str, python: str) -> BoundSet:
        """Placeholders replaced: ``root`` holds the trees, ``python`` is the interpreter the
        packages were built for."""
        layout = Layout()
        wrappers: list[BoundWrapper] = []
        for package in self.packages:
            base = f"{root}/{package.name}"
            layout = layout.with_dir(base)
            for rel, node in package.nodes:
                if isinstance(node, File):
                    node = File(_bind_bytes(node.data, root, python), node.mode)
                elif isinstance(node, Symlink):
                    node = Symlink(_bind(node.target, root, python))
                layout = layout.with_node(f"{base}/{rel}", node)
            wrappers += [BoundWrapper(f"{base}/{w.path}", _bind(w.original, root, python),
                                      tuple(_bind(f, root, python) for f in w.flags), w.binary)
                         for w in package.wrappers]
        scripts = tuple(replace(s, doc=_bind(s.doc, root, python) if s.doc is not None
                                else None) for p in self.packages for s in p.scripts)
        return BoundSet(layout, tuple(f"{root}/{p.name}" for p in self.packages),
                        tuple(wrappers), tuple(m for p in self.packages for m in p.modules),
                        scripts, tuple(p.priority for p in self.packages))


# -- Python scripts -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Instrumented:
    text: bytes
    marks: int
    doc: str | None
    futures: tuple[str, ...]


def instrument(source: bytes, tag: str, names: Sequence[str], variables: Sequence[str]
               ) -> Instrumented | None:
    """The script with envspec's marker before its first statement, then the probe and a
    last marker; None when CPython would not compile it."""
    try:
        compile(source, "<script>", "exec", dont_inherit=True)
        shape = envspec.script_shape(source)
    except (SyntaxError, ValueError):
        return None
    lines = source.split(b"\n")
    first = envspec.mark_line(tag, 1).encode() + b"\n"
    if source and not source.endswith(b"\n"):
        source += b"\n"
        lines = source.split(b"\n")
    if shape.first_statement is not None:
        at = shape.first_statement
        text = b"\n".join(lines[:at]) + (b"\n" if at else b"") + first + b"\n".join(lines[at:])
    else:
        text = source + first
    text += (envspec.probe_line(names, variables) + "\n"
             + envspec.mark_line(tag, 2) + "\n").encode()
    try:
        compile(text, "<script>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    return Instrumented(text, 2, shape.doc, shape.futures)


def _shell_tool(tag: str, variables: Sequence[str]) -> bytes:
    """A ``#!/bin/sh`` program printing its markers and the variables it was given."""
    lines = ["#!/bin/sh", f"echo '{envspec.MARK} {tag} 1'"]
    for name in variables:
        lines.append(f'if [ "${{{name}+set}}" = set ]; then '
                     f'printf "%s\\n" "{envspec.ENVIRON} {name}=${name}"; fi')
    lines.append(f"echo '{envspec.MARK} {tag} 2'")
    return ("\n".join(lines) + "\n").encode()


def trampoline(python: str, *, quote: bool = False) -> bytes:
    """pypa/installer's launcher for long or spaced interpreter paths (installer scripts.py
    _build_shebang quotes with shlex.quote: a long path without blanks stays unquoted);
    with ``quote`` always single-quoted, as uv's launchers write it.  The shell execs the
    interpreter, Python reads the first two lines as a docstring."""
    exe = "'" + python.replace("'", "'\"'\"'") + "'" if quote else _sh_quote(python)
    return ("#!/bin/sh\n'''exec' " + exe + ' "$0" "$@"\n' + "' '''\n").encode()


def _sh_quote(text: str) -> str:
    # shlex.quote's rule (the path placeholders are safe words until bound; bound paths here
    # never need quoting either, but keep the rule for any caller).
    if text and all(c.isalnum() or c in "@%+=:,./-_" for c in text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


INSTALLER_BODY = (b"# -*- coding: utf-8 -*-\nimport re\nimport sys\n"
                  b"sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n")
"""pypa/installer's console-script body (scripts.py _SCRIPT_TEMPLATE) without the entry point
call: the preamble lands on line 3 (wrap-python.nix's magicalSedExpression inserts it before
the first code line; the shape #297628 assumed)."""
PRETALX_BODY = b"import os\nimport sys\nos.getcwd()\n"
"""pretalx's manage.py shape (#302315): the preamble lands on line 2, sed '3d' strikes code."""


@dataclass(frozen=True)
class _Made:
    nodes: list[tuple[str, Node]]
    wrappers: list[WrapperSpec]
    scripts: list[ScriptExpectation]


def _python_script(name: str, tag: str, body: bytes, option: str, modules: Sequence[str],
                   variables: Sequence[str], *, lead: bytes = b"#!", via_env: bool = False,
                   env_split: bool = False) -> Instrumented | None:
    if via_env:  # env takes the rest of the line as one name: no option then
        line1 = lead + ENV_PYTHON + b"\n"
    elif env_split:  # env -S splits the line: each option a word of its own
        words = [PYTHON] + [f"-{c}" for c in option.lstrip("-")]
        line1 = lead + b"/usr/bin/env -S " + " ".join(words).encode() + b"\n"
    else:
        line1 = lead + PYTHON.encode() + (b" " + option.encode() if option else b"") + b"\n"
    return instrument(line1 + body, tag, modules, variables)


def _make_script(kind: str, name: str, pkg: str, version: tuple[int, int], body: bytes,
                 option: str, modules: Sequence[str], *,
                 variable: tuple[str, str] | None = None, extra_flags: Sequence[str] = (),
                 lead: bytes = b"#!", quote: bool = False, via_env: bool = False,
                 env_split: bool = False) -> _Made | None:
    """One script of ``kind`` (not 'symlink') in package ``pkg``: its nodes, wrappers and
    expectation; None when the body does not compile."""
    tag = f"{pkg}.{name}"
    outer = (f"PREFIXLAB_OUTER_{pkg.upper()}_{name.upper()}", "y")
    pairs = [variable] if variable else []
    if kind == "double-wrapped":
        pairs.append(outer)
    variables = [n for n, _ in pairs]
    wrapper_env = tuple(pairs)
    option = "" if via_env else option
    options = tuple(option.lstrip("-"))
    hidden = f"bin/.{name}-wrapped"
    root = f"{ROOT}/{pkg}"
    site = f"{root}/lib/python{version[0]}.{version[1]}/site-packages"
    wrap_flags = ["--inherit-argv0"]  # wrapProgram
    if kind in ("nix-wrapped", "binary-wrapped", "double-wrapped"):
        # wrap.sh: --prefix PATH : program_PATH, --set PYTHONNOUSERSITE true, makeWrapperArgs
        wrap_flags += ["--prefix", "PATH", ":", PYTHON_BIN,
                       "--set", "PYTHONNOUSERSITE", "true"]
    if variable:
        wrap_flags += ["--set", *variable]
    wrap_flags += list(extra_flags)
    if kind == "shell-tool":
        nodes: list[tuple[str, Node]] = [(hidden, File(_shell_tool(tag, variables), 0o755))]
        return _Made(nodes, [WrapperSpec(f"bin/{name}", f"{root}/{hidden}", tuple(wrap_flags))],
                     [ScriptExpectation(name, tag, 2, False, kind, wrapper_env)])
    if kind == "trampoline":
        made = instrument(trampoline(PYTHON, quote=quote) + body, tag, modules, variables)
        if made is None:
            return None
        return _Made([(f"bin/{name}", File(made.text, 0o755))], [],
                     [ScriptExpectation(name, tag, made.marks, True, kind, (), (), None,
                                        made.futures, tuple(modules), check_doc=False)])
    made = _python_script(name, tag, body, option, modules, variables, lead=lead,
                          via_env=via_env, env_split=env_split)
    if made is None:
        return None
    expectation = ScriptExpectation(name, tag, made.marks, True, kind, wrapper_env, options,
                                    made.doc, made.futures, tuple(modules))
    if kind == "plain":
        return _Made([(f"bin/{name}", File(made.text, 0o755))], [], [expectation])
    wrapped = wrap_python_programs(made.text, NixWrap(executable=PYTHON,
                                                      argv0=f"{root}/bin/{name}",
                                                      sitedirs=(site,)))
    text = made.text if wrapped is None else wrapped.text
    try:
        # The package as nixpkgs leaves it must itself run: the preamble can land where Python
        # rejects it (after a comment ending in ',' sed joins lines), or before an upper-case
        # R""" docstring, which is then no docstring: the package's behaviour is the reference.
        compile(text, "<wrapped>", "exec", dont_inherit=True)
        shape = envspec.script_shape(text)
    except (SyntaxError, ValueError):
        return None
    expectation = replace(expectation, doc=shape.doc, futures=shape.futures)
    nodes = [(hidden, File(text, 0o755))]
    if kind == "double-wrapped":
        # wrapProgram run twice (a second hook): the first wrapper moves to .NAME-wrapped_
        # (make-wrapper.sh appends '_' while the hidden name exists) and is wrapped again
        second = f"{hidden}_"
        return _Made(nodes, [WrapperSpec(second, f"{root}/{hidden}", tuple(wrap_flags)),
                             WrapperSpec(f"bin/{name}", f"{root}/{second}",
                                         ("--inherit-argv0", "--set", *outer))], [expectation])
    return _Made(nodes, [WrapperSpec(f"bin/{name}", f"{root}/{hidden}", tuple(wrap_flags),
                                     binary=kind == "binary-wrapped")], [expectation])


def _module_nodes(pkg: str, version: tuple[int, int], namespace: str | None,
                  ns_init: bool) -> tuple[list[tuple[str, Node]], list[str]]:
    site = f"lib/python{version[0]}.{version[1]}/site-packages"
    nodes: list[tuple[str, Node]] = [
        (f"{site}/{pkg}mod.py", File(f"WHO = {pkg!r}\n".encode())),
        (f"{site}/{pkg}pkg/__init__.py", File(b"")),
        (f"{site}/{pkg}pkg/sub.py", File(b"X = 1\n")),
        # an identical file in every package: builder.pl's contents check lets it through
        ("share/prefixlab/COMMON", File(b"the same bytes in every package\n")),
    ]
    modules = [f"{pkg}mod", f"{pkg}pkg", f"{pkg}pkg.sub"]
    if namespace:
        if ns_init:
            nodes.append((f"{site}/{namespace}/__init__.py", File(PKGUTIL_INIT)))
        nodes.append((f"{site}/{namespace}/{pkg}/__init__.py", File(b"")))
        modules.append(f"{namespace}.{pkg}")
    return nodes, modules


# -- strategies -----------------------------------------------------------------------------------
_BODIES = python_scripts(env_options=False)


@st.composite
def _package(draw: st.DrawFn, index: int, version: tuple[int, int], namespaces: Sequence[str],
             all_modules: Sequence[str], max_scripts: int, env_split: bool = False
             ) -> EnvPackage:
    pkg = f"p{index}"
    namespace = draw(st.sampled_from([None, *namespaces]))
    ns_init = draw(st.booleans())
    nodes, modules = _module_nodes(pkg, version, namespace, ns_init)
    features = ["module", "package"] + ([f"namespace{'-init' if ns_init else ''}"]
                                        if namespace else [])
    wrappers: list[WrapperSpec] = []
    scripts: list[ScriptExpectation] = []
    names: list[str] = []
    for k in range(draw(st.integers(1 if env_split else 0, max_scripts))):
        kind = draw(st.sampled_from(("plain", "plain", *KINDS) if env_split else KINDS))
        name = f"{pkg}s{k}"
        if kind == "symlink":
            if not names:
                continue
            target = draw(st.sampled_from(names))
            expectation = next(s for s in scripts if s.name == target)
            nodes.append((f"bin/{name}", Symlink(target)))
            scripts.append(replace(expectation, name=name, kind="symlink"))
            features.append("symlink")
            continue
        script = draw(_BODIES)
        variable = None
        if kind != "plain" and kind != "trampoline" and draw(st.booleans()):
            variable = (f"PREFIXLAB_WRAPPED_{pkg.upper()}S{k}", draw(st.sampled_from(VALUES)))
        extra: list[str] = []
        if kind in ("nix-wrapped", "binary-wrapped") and draw(st.integers(0, 3)) == 0:
            extra = draw(flag_lists(binary=kind == "binary-wrapped", max_flags=2))
            features.append("wrapper-flags")
        option = draw(st.sampled_from(OPTIONS)) if kind != "shell-tool" else ""
        split = env_split and kind == "plain"
        made = _make_script(kind, name, pkg, version, script.body if kind != "trampoline"
                            else _utf8_only(script.body), option, all_modules,
                            variable=variable, extra_flags=extra, lead=script.lead,
                            quote=draw(st.booleans()),
                            via_env=kind in ("plain", "nix-wrapped")
                            and draw(st.integers(0, 4)) == 0,
                            env_split=split)
        if made is None:
            continue
        if split:
            features.append("env-split")
        if kind == "plain" and draw(st.integers(0, 3)) == 0:
            # a script kept in libexec/, reached through a link in bin/
            (path, node), = made.nodes
            nodes.append((f"libexec/{name}.py", node))
            nodes.append((path, Symlink(f"../libexec/{name}.py")))
            features.append("symlink-libexec")
        else:
            nodes += made.nodes
        wrappers += made.wrappers
        scripts += made.scripts
        names.append(name)
        features.append(kind)
    return EnvPackage(pkg, tuple(nodes), tuple(wrappers), tuple(modules), tuple(scripts),
                      tuple(features))


def _utf8_only(body: bytes) -> bytes:
    # After a trampoline the coding cookie is too late (lines 1-2 only): UTF-8 it is.
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError:
        return b"import os\n"


def package_sets(version: tuple[int, int], *, max_packages: int = 3, max_scripts: int = 3,
                 env_split: bool = False) -> st.SearchStrategy[PackageSet]:
    """One to ``max_packages`` packages for CPython ``version``, each with modules and up to
    ``max_scripts`` scripts of the kinds above; with ``env_split``, at least one script each
    (so ``max_scripts`` of at least 1), plain ones more often, and the plain ones not
    through ``env python3`` start ``#!/usr/bin/env -S PYTHON -O -u ...`` (options as words
    of their own; the nix flavours' sets never have them)."""
    check_version(version, "version", parts=2)
    check_at_least(max_packages, "max_packages", 1)
    check_type(bool, env_split, "env_split")
    check_at_least(max_scripts, "max_scripts", 1 if env_split else 0)
    return _package_sets(version, max_packages, max_scripts, env_split)


@st.composite
def _package_sets(draw: st.DrawFn, version: tuple[int, int], max_packages: int,
                  max_scripts: int, env_split: bool) -> PackageSet:
    count = draw(st.integers(1, max_packages))
    namespaces = NAMESPACES[:draw(st.integers(1, len(NAMESPACES)))]
    # The module names every script probes: all packages' modules (known before drawing).
    all_modules: list[str] = []
    for i in range(count):
        all_modules += [f"p{i}mod", f"p{i}pkg", f"p{i}pkg.sub"]
    packages = tuple(draw(_package(i, version, namespaces, all_modules, max_scripts,
                                   env_split)) for i in range(count))
    return PackageSet(version, packages)


# -- contested sets: priorities and collisions ---------------------------------------------------
CONTEST_MODES = ("priorities", "mixed", "collide", "ignore")
"""How a contested set's packages meet: ``priorities`` all different (every contest has one
winner), ``mixed`` drawn freely (equal ones may collide), ``collide`` none given (buildEnv's
default for all: different files collide), ``ignore`` drawn freely with --ignore-collisions."""
CONTESTED_SCRIPT = "ctool"
CONTEST_KINDS = ("plain", "nix-wrapped", "trampoline")


@dataclass(frozen=True)
class ContestedSet:
    """Packages ``c0``, ``c1``, ... that provide the same paths with different bytes: the
    module ``cmod.py`` (``WHO = 'cI'``), the package directory ``cpkg/`` whole
    (``__init__.py`` and ``x.py``) or only the file ``cpkg/x.py`` inside it, and the script
    ``bin/ctool`` (its markers tagged ``cI.ctool``); plus a module of their own and a file
    identical in all of them."""

    packages: PackageSet
    ignore_collisions: bool
    mode: str


def _contested_package(pkg: str, version: tuple[int, int], module: bool, cpkg: str | None,
                       script: str | None) -> EnvPackage:
    site = f"lib/python{version[0]}.{version[1]}/site-packages"
    who = f"WHO = {pkg!r}\n".encode()
    nodes: list[tuple[str, Node]] = [
        (f"{site}/{pkg}own.py", File(who)),
        ("share/prefixlab/COMMON", File(b"the same bytes in every package\n")),
    ]
    modules = [f"{pkg}own"]
    features = []
    if module:
        nodes.append((f"{site}/cmod.py", File(who)))
        features.append("contested-module")
    if cpkg is not None:
        # "whole": the package provides the directory; "file": only a file inside it (the
        # directory is exploded and x.py contested with the file's own priority)
        if cpkg == "whole":
            nodes.append((f"{site}/cpkg/__init__.py", File(who)))
        nodes.append((f"{site}/cpkg/x.py", File(who)))
        features.append(f"contested-dir-{cpkg}")
    wrappers: list[WrapperSpec] = []
    scripts: list[ScriptExpectation] = []
    if script is not None:
        made = _make_script(script, CONTESTED_SCRIPT, pkg, version, INSTALLER_BODY, "",
                            ["cmod"])
        assert made is not None, "installer's body compiles"
        nodes += made.nodes
        wrappers += made.wrappers
        scripts += made.scripts
        features.append(f"contested-{script}")
    return EnvPackage(pkg, tuple(nodes), tuple(wrappers), tuple(modules), tuple(scripts),
                      tuple(features))


def contested_sets(version: tuple[int, int], *, max_packages: int = 4,
                   mode: str | None = None) -> st.SearchStrategy[ContestedSet]:
    """2 to ``max_packages`` packages contesting paths (:class:`ContestedSet`) met as
    ``mode`` says (one of CONTEST_MODES; None: drawn); c0 and c1 always both provide
    ``cmod.py``."""
    check_version(version, "version", parts=2)
    check_at_least(max_packages, "max_packages", 2)
    check_one_of(mode, "mode", (None, *CONTEST_MODES))
    return _contested_sets(version, max_packages, mode)


@st.composite
def _contested_sets(draw: st.DrawFn, version: tuple[int, int], max_packages: int,
                    mode: str | None) -> ContestedSet:
    count = draw(st.integers(2, max_packages))
    if mode is None:
        mode = draw(st.sampled_from(CONTEST_MODES))
    free = st.sampled_from([None, 1, 5, 9])
    if mode == "priorities":
        numbers = draw(st.lists(st.integers(-3, 12), min_size=count, max_size=count,
                                unique=True))
        # 5 is the default: given as DIR=5 or as a bare DIR, the same
        priorities: list[int | None] = [None if n == 5 and draw(st.booleans()) else n
                                        for n in numbers]
    elif mode == "collide":
        priorities = [None] * count
    else:
        priorities = [draw(free) for _ in range(count)]
    packages = []
    for i in range(count):
        package = _contested_package(
            f"c{i}", version, i < 2 or draw(st.booleans()),
            draw(st.sampled_from([None, "whole", "file"])),
            draw(st.sampled_from([None, *CONTEST_KINDS])))
        packages.append(replace(package, priority=priorities[i]))
    return ContestedSet(PackageSet(version, tuple(packages)), mode == "ignore", mode)


# -- minimal sets for the known failures ----------------------------------------------------------
def minimal_set(case: envspec.Case, version: tuple[int, int]) -> PackageSet:
    """The package set of a known-failure case (envspec.KNOWN_FAILURES): two packages with
    modules, a shared namespace directory and a nixpkgs-wrapped console script of pypa/
    installer's shape; the case adds one script."""
    modules = ["p0mod", "p0pkg", "p0pkg.sub", "p1mod", "p1pkg", "p1pkg.sub"]
    packages = []
    for i in range(2):
        pkg = f"p{i}"
        nodes, mods = _module_nodes(pkg, version, "google", True)
        packages.append(EnvPackage(pkg, tuple(nodes), (), tuple(mods), (), ("module",)))
    extra = {
        "plain-set": None,
        "pretalx-script": ("nix-wrapped", PRETALX_BODY, "", None),
        "shell-tool": ("shell-tool", b"", "", ("PREFIXLAB_WRAPPED_TOOL", "x")),
        "flagged-script": ("nix-wrapped", INSTALLER_BODY, "-O", None),
        "wrapper-var": ("nix-wrapped", INSTALLER_BODY, "", ("PREFIXLAB_WRAPPED_VAR", "a b")),
        "bare-script": ("plain", INSTALLER_BODY, "", None),
        "installer-trampoline": ("trampoline", INSTALLER_BODY, "", None),
        "linked-binary-wrapper": ("binary-wrapped", INSTALLER_BODY, "",
                                  ("PREFIXLAB_WRAPPED_BIN", "é")),
        "double-wrap": ("double-wrapped", INSTALLER_BODY, "", ("PREFIXLAB_WRAPPED_VAR", "x")),
    }[case]
    made = [_make_script("nix-wrapped", "console", "p0", version, INSTALLER_BODY, "", modules)]
    if extra is not None:
        kind, body, option, variable = extra
        made.append(_make_script(kind, "extra", "p1", version, body, option, modules,
                                 variable=variable))
    for i, m in enumerate(made):
        assert m is not None, "a minimal script does not compile"
        if case == "linked-binary-wrapper" and i == 1:
            # bin/alias -> extra, as a package may ship a second name for its program
            m.nodes.append(("bin/alias", Symlink("extra")))
            m.scripts.append(replace(m.scripts[0], name="alias", kind="symlink"))
        p = packages[i]
        packages[i] = replace(p, nodes=p.nodes + tuple(m.nodes),
                              wrappers=p.wrappers + tuple(m.wrappers),
                              scripts=p.scripts + tuple(m.scripts),
                              features=p.features + (m.scripts[0].kind,))
    return PackageSet(version, tuple(packages))


__all__ = ["BoundSet", "ContestedSet", "EnvPackage", "PackageSet", "PYTHON", "ROOT",
           "WrapperSpec", "contested_sets", "instrument", "minimal_set", "package_sets"]
