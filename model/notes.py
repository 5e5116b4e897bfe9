"""The notes' executable examples: the block format (notes/format.md), read into values, and
what the model predicts for an example on any row of the behaviour table.

An example is a fenced block of type ``prefixlab-example`` (or ``prefixlab-exercise``: the
same, with its ``[expect]`` table hidden when the page is rendered) holding TOML: the
versions it applies to, a layout under a fresh directory ROOT, optional build steps, a run
and the expected values.  This module is pure: it reads block text and predicts on a world
made of values (the layout, an installation at the compiled-in prefix, the programs a
wrapper needs).  Laying an example down on disk and running real interpreters on it is
impl/checks/notes.py's job; both sides compare against the same ``[expect]`` with
:func:`differences`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from prefixlab.model.builders import nix as nixplan
from prefixlab.model.builders import venv as venvplan
from prefixlab.model.builders.buildenv import MergeError
from prefixlab.model.builders.plan import Copy, CWrapper, Link, Mkdir, Operation, Write
from prefixlab.model.errors import BadInput
from prefixlab.model.exec import bashwords, binarywrapper, chain
from prefixlab.model.outcome import Outcome, unpredicted_output_removed
from prefixlab.model.speedups import dataclass, replace
from prefixlab.model.startup.cmdline import parse as parse_command_line, startup_config
from prefixlab.model.startup.predict import predict
from prefixlab.model.startup.sitecode import NIX_STAND_IN_TEXT
from prefixlab.model.strategies.startup import BINARY_DATA, PROBE_SCRIPT, stdlib_skeleton
from prefixlab.model.world import World, kernel
from prefixlab.model.world.build import TABLE, BuildConstants, Version, behaviour_for
from prefixlab.model.world.fs import Dir, File, Layout, Node, Overlay, Symlink
from prefixlab.model.world.invocation import Invocation

FENCES = ("prefixlab-example", "prefixlab-exercise")
_BLOCK = re.compile(r"^```(prefixlab-example|prefixlab-exercise)[ \t]*\n(.*?)^```[ \t]*$",
                    re.S | re.M)

MODEL_ROOT = "/home/reader/example"
"""Where the model lays an example down (ROOT) when no real directory is involved."""
MODEL_PREFIX = "/usr/local"
"""The compiled-in prefix of the model's interpreter (configure's default); an installation
is put there, so that the compiled-in fallback finds a standard library, as it does on a
machine whose interpreter was installed where it was built for."""
HOST_PROGRAMS = ("/bin/sh", "/bin/bash", "/usr/bin/env")
"""Programs a wrapper's ``#!`` line may name, present in the model's world (the exec chain
follows bash and env by name: model/exec/chain.py)."""

KEYS = frozenset({"versions", "exclude", "exercise", "layout", "build", "run", "expect"})
EXCLUDABLE = ("debian",)
"""What ``exclude`` may name: interpreter builds (BuildConstants.flavour) left out of the
real side.  Debian's build (its patched site.py reads dist-packages) is the only one: the
model's rows are upstream builds, so an example always holds on them."""
RUN_KEYS = frozenset({"program", "args", "argv0", "cwd", "env"})
BUILD_KEYS = frozenset({"builder", "python", "dir", "system-site-packages", "packages",
                        "flavor", "argv0-mode"})
BUILDERS = ("venv", "prefixlab-venv", "prefixlab-env")
"""``venv``: what ``python -m venv --without-pip DIR`` writes (home = the directory of
sys._base_executable as it is); ``prefixlab-venv``: what ``prefixlab build venv DIR --python
PYTHON`` writes (home chosen so that the venv starts, model/builders/venv.py choose_home);
``prefixlab-env``: what ``prefixlab build env DIR --python PYTHON --package P...`` writes
(``flavor``: the reference flavour, model/builders/reference.py, or a nixpkgs one,
model/builders/nix.py, ``argv0-mode`` for nix-297628)."""
ENV_FLAVOURS = ("reference", *nixplan.FLAVOURS)
"""What ``flavor`` may name: ``prefixlab build env --flavor``'s values."""
ARGV0_MODES = ("fixed", "inherit")
EXPECT_KEYS = frozenset({"status", "executable", "base_executable", "prefix", "base_prefix",
                         "exec_prefix", "base_exec_prefix", "path", "path0", "warnings",
                         "version", "flags"})
"""What ``[expect]`` may name: the outcome's keys (Outcome.to_json), ``path0``, sys.path[0]
alone (what a script or ``-m`` puts first), and ``flags``, fields of sys.flags."""
FLAGS = ("isolated", "ignore_environment", "no_user_site", "no_site", "safe_path")
"""The fields of sys.flags ``flags = {...}`` may name: those the start-up configuration the
model computes decides (model/startup/cmdline.py StartupConfig; a ._pth file's changes,
getpath.py 3.11+).  safe_path exists from 3.11 (gh-57684)."""
LAYOUT_WORDS = ("binary", "stdlib", "dir", "probe")
LAYOUT_PREFIXES = ("-> ", "text:", "exec:")


class ExampleError(BadInput):
    """An example block that cannot be read or run: one line naming its note, its number and
    what is wrong."""


# -- versions ----------------------------------------------------------------------------------
_LAST_PATCH = 10_000
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Versions:
    """A version spec: ``3.8+``, ``3.12.4+``, ``3.8-3.10``, ``3.8-3.12.3``, ``3.13``, or
    several of them joined by commas (``3.8-3.10, 3.11.1+``)."""

    text: str
    ranges: tuple[tuple[Version, Version | None], ...]
    """Each (low, high), inclusive; high None: no upper bound."""

    def __contains__(self, version: Version) -> bool:
        return any(low <= version and (high is None or version <= high)
                   for low, high in self.ranges)

    @classmethod
    def parse(cls, text: str) -> Versions:
        spec = text.strip()
        return cls(spec, tuple(_range(part.strip(), spec) for part in spec.split(",")))


def _range(part: str, spec: str) -> tuple[Version, Version | None]:
    if part.endswith("+"):
        return _bound(part[:-1], upper=False, spec=spec), None
    low, dash, high = part.partition("-")
    lower = _bound(low, upper=False, spec=spec)
    upper = _bound(high if dash else low, upper=True, spec=spec)
    if upper < lower:
        raise ValueError(f"versions {spec!r}: {part!r} is an empty range")
    return lower, upper


def _bound(text: str, *, upper: bool, spec: str) -> Version:
    """'3.12' is 3.12.0 as a lower bound and every 3.12 release as an upper one."""
    found = _VERSION.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"versions {spec!r}: {text!r} is not a version (X.Y or X.Y.Z)")
    major, minor, patch = found.groups()
    default = _LAST_PATCH if upper else 0
    return int(major), int(minor), default if patch is None else int(patch)


def rows(versions: Versions) -> list[tuple[str, Version]]:
    """Each row of the behaviour table some version in ``versions`` answers from, with the
    first such version (the one the model is run as)."""
    found: list[tuple[str, Version]] = []
    for n, (since, row) in enumerate(TABLE):
        following = TABLE[n + 1][0] if n + 1 < len(TABLE) else (since[0], since[1] + 1, 0)
        if since[:2] != following[:2]:
            following = (since[0], since[1], _LAST_PATCH + 1)
        starts = [max(since, low) for low, _ in versions.ranges]
        inside = sorted(v for v in starts if v < following and v in versions)
        if inside:
            found.append((row.name, inside[0]))
    return found


# -- blocks --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    """One block of a note, as written (placeholders unbound)."""

    note: str
    """The note's file name ('03-venvs.md')."""
    index: int
    """Its number among the note's blocks (0 first): NOTE#INDEX names it."""
    line: int
    """The line of its opening fence."""
    text: str
    versions: Versions
    exercise: bool
    excluded: frozenset[str] = frozenset()
    """Builds left out (``exclude``): BuildConstants.flavour values."""

    @property
    def name(self) -> str:
        return f"{self.note}#{self.index}"

    def where(self) -> str:
        return f"notes/{self.note}#{self.index} (line {self.line})"

    def applies_to(self, version: Version) -> bool:
        return version in self.versions

    def applies_to_build(self, build: BuildConstants) -> bool:
        """Is an interpreter of ``build`` one the example is checked on: its version among
        the example's, its flavour not excluded?"""
        return self.applies_to(build.version) and build.flavour not in self.excluded

    def bind(self, *, root: str, version: Version, prefix: str) -> dict[str, Any]:
        """The block's TOML with its placeholders replaced, read and checked."""
        return _checked(self, _substituted(self.text, root, version, prefix))


def read_note(note: str, text: str) -> list[Example]:
    """Every example block of a note (``note``: its file name).  Raises ExampleError for a
    block that cannot be read (bound with stand-in values: the format is checked here)."""
    found = []
    for index, match in enumerate(_BLOCK.finditer(text)):
        line = text.count("\n", 0, match.start()) + 1
        body = match.group(2)
        tables = re.findall(r"^\[\[?([^\]]*)\]", body, re.M)
        if tables and tables[-1] != "expect":
            raise ExampleError(f"notes/{note}#{index} (line {line}): [expect] must be the "
                               "block's last table (an exercise hides it, to the end)")
        probe = Example(note, index, line, body, Versions("3.8+", (((3, 8, 0), None),)),
                        False)
        data = probe.bind(root=MODEL_ROOT, version=(3, 12, 0), prefix=MODEL_PREFIX)
        try:
            versions = Versions.parse(data["versions"])
        except ValueError as error:
            raise ExampleError(f"{probe.where()}: {error}") from None
        early = [name for name, version in rows(versions)
                 if not behaviour_for(version).safe_path_option]
        if "safe_path" in data["expect"].get("flags", {}) and early:
            raise ExampleError(f"{probe.where()}: flags names safe_path, which sys.flags has "
                               f"from 3.11; the versions reach row {early[0]}")
        exercise = match.group(1) == "prefixlab-exercise" or data.get("exercise") is True
        found.append(Example(note, index, line, body, versions, exercise,
                             frozenset(data.get("exclude", []))))
    return found


def _substituted(text: str, root: str, version: Version, prefix: str) -> str:
    major, minor, patch = version[:3]
    for key, value in {"{X.Y.Z}": f"{major}.{minor}.{patch}", "{X.Y}": f"{major}.{minor}",
                       "{XY}": f"{major}{minor}", "{ROOT}": root, "{PREFIX}": prefix}.items():
        text = text.replace(key, value)
    return text


def _checked(example: Example, text: str) -> dict[str, Any]:
    where = example.where()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ExampleError(f"{where}: not TOML: {error}") from None
    _only(where, "the block", data, KEYS)
    if not isinstance(data.get("versions"), str):
        raise ExampleError(f"{where}: no versions = \"...\" line")
    if "exercise" in data and not isinstance(data["exercise"], bool):
        raise ExampleError(f"{where}: exercise must be true or false")
    excluded = data.get("exclude", [])
    if not isinstance(excluded, list) or not all(e in EXCLUDABLE for e in excluded):
        raise ExampleError(f"{where}: exclude = [...] names builds to leave out, of "
                           f"{', '.join(map(repr, EXCLUDABLE))}; not {excluded!r}")
    for key in ("layout", "run", "expect"):
        if not isinstance(data.get(key), dict):
            raise ExampleError(f"{where}: no [{key}] table")
    for relative, value in data["layout"].items():
        if relative.startswith("/") or not isinstance(value, str) or not (
                value in LAYOUT_WORDS or value.startswith(LAYOUT_PREFIXES)):
            raise ExampleError(f"{where}: layout {relative!r} = {value!r}: a path relative "
                               f"to ROOT must be one of {', '.join(LAYOUT_WORDS)}, "
                               "'-> TARGET', 'text:CONTENT' or 'exec:CONTENT'")
    run = data["run"]
    _only(where, "[run]", run, RUN_KEYS)
    if not isinstance(run.get("program"), str) or not isinstance(run.get("args", []), list):
        raise ExampleError(f"{where}: [run] needs program = \"...\" and args = [...]")
    if not all(isinstance(v, str) for v in run.get("env", {}).values()):
        raise ExampleError(f"{where}: [run] env values must be strings")
    _only(where, "[expect]", data["expect"], EXPECT_KEYS)
    if "flags" in data["expect"]:
        _check_flags(where, data["expect"]["flags"], run)
    builds = data.get("build", [])
    if not isinstance(builds, list):
        raise ExampleError(f"{where}: build steps are [[build]] tables")
    for step in builds:
        _only(where, "[[build]]", step, BUILD_KEYS)
        if step.get("builder") not in BUILDERS or not isinstance(step.get("python"), str) \
                or not isinstance(step.get("dir"), str):
            raise ExampleError(f"{where}: [[build]] needs builder (one of "
                               f"{', '.join(BUILDERS)}), python and dir")
        packages = step.get("packages", [])
        if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages) \
                or (packages and step["builder"] != "prefixlab-env"):
            raise ExampleError(f"{where}: [[build]] packages = [...] (paths) is for "
                               "builder prefixlab-env only")
        flavour = step.get("flavor", "reference")
        if "flavor" in step and (step["builder"] != "prefixlab-env"
                                 or flavour not in ENV_FLAVOURS):
            raise ExampleError(f"{where}: [[build]] flavor is one of {', '.join(ENV_FLAVOURS)}"
                               f", for builder prefixlab-env; not {flavour!r}")
        if "argv0-mode" in step and (flavour != "nix-297628"
                                     or step["argv0-mode"] not in ARGV0_MODES):
            raise ExampleError(f"{where}: [[build]] argv0-mode is fixed or inherit, for "
                               f"flavor nix-297628; not {step['argv0-mode']!r}")
    return data


def _check_flags(where: str, flags: Any, run: Mapping[str, Any]) -> None:
    if not isinstance(flags, dict) or not all(
            isinstance(v, (int, bool)) for v in flags.values()):
        raise ExampleError(f"{where}: flags = {{ NAME = 0 or 1, ... }}, fields of sys.flags")
    unknown = sorted(set(flags) - set(FLAGS))
    if unknown:
        raise ExampleError(f"{where}: flags has an unknown field {unknown[0]!r} (known: "
                           f"{', '.join(FLAGS)})")
    # The real side reads sys.flags in the command it gives -c (a script or a module run
    # holds the probe's own code).
    line = parse_command_line(tuple(str(a) for a in run.get("args", [])),
                              behaviour_for((3, 12, 0)))
    if line.run not in ("c", "stdin"):
        raise ExampleError(f"{where}: flags are read by a -c run; this one runs "
                           f"{'a module' if line.run == 'm' else 'a script'}")


def _only(where: str, what: str, table: Any, allowed: frozenset[str]) -> None:
    if not isinstance(table, dict):
        raise ExampleError(f"{where}: {what} must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ExampleError(f"{where}: {what} has an unknown key {unknown[0]!r} (known: "
                           f"{', '.join(sorted(allowed))})")


# -- the layout and the run --------------------------------------------------------------------
@dataclass(frozen=True)
class Bound:
    """An example bound at a root for one version: its layout as values, the placeholders
    that stand for the interpreter (binaries, standard libraries, probe scripts), its build
    steps and its run."""

    data: dict[str, Any]
    where: str
    """Which example it is (Example.where()), for messages."""
    root: str
    layout: Layout
    binaries: tuple[str, ...]
    stdlibs: tuple[str, ...]
    builds: tuple[dict[str, Any], ...]
    invocation: Invocation

    @property
    def expect(self) -> dict[str, Any]:
        return dict(self.data["expect"])


def bound(example: Example, *, root: str, version: Version, prefix: str) -> Bound:
    data = example.bind(root=root, version=version, prefix=prefix)
    nodes: dict[str, Node] = {root: Dir()}
    binaries: list[str] = []
    stdlibs: list[str] = []
    skeletons: dict[str, Node] = {}
    for relative, value in data["layout"].items():
        path = f"{root}/{relative.rstrip('/')}"
        if value == "binary":
            nodes[path] = File(BINARY_DATA, 0o755)
            binaries.append(path)
        elif value == "stdlib":
            nodes[path] = Dir()
            skeletons.update(stdlib_skeleton(path))  # model_world adds what site reads
            stdlibs.append(path)
        elif value == "probe":
            nodes[path] = File(PROBE_SCRIPT, 0o644)
        elif value == "dir":
            nodes[path] = Dir()
        elif value.startswith("-> "):
            nodes[path] = Symlink(value[3:])
        elif value.startswith("text:"):
            nodes[path] = File(value[5:].encode("utf-8", "surrogateescape"))
        else:  # exec:
            nodes[path] = File(value[5:].encode("utf-8", "surrogateescape"), 0o755)
    for path, node in skeletons.items():
        nodes.setdefault(path, node)  # a file the layout puts inside a stdlib is its own
    run = data["run"]
    invocation = Invocation.make(run["program"], run.get("args", []), argv0=run.get("argv0"),
                                 env=run.get("env", {}), cwd=run.get("cwd", root))
    try:
        layout = Layout(nodes)
    except BadInput as error:
        raise ExampleError(f"{example.where()}: the layout cannot be made: {error}") from None
    return Bound(data, example.where(), root, layout, tuple(binaries), tuple(stdlibs),
                 tuple(data.get("build", [])), invocation)


BUILTIN_MODULES = ("_abc", "_codecs", "_collections", "_functools", "_imp", "_io",
                   "_operator", "_signal", "_sre", "_stat", "_thread", "_warnings", "_weakref",
                   "atexit", "builtins", "errno", "gc", "itertools", "marshal", "posix", "sys",
                   "time")
"""sys.builtin_module_names of the model's interpreter: modules compiled into every CPython
3.8-3.14 on POSIX (Modules/Setup's section "can't be built as shared libraries" up to
3.10, Modules/Setup.bootstrap from 3.11, and Modules/config.c.in's marshal, _imp,
builtins, sys, gc and _warnings), so that a .pth line's ``import sys`` works."""


def constants(version: Version, prefix: str = MODEL_PREFIX) -> BuildConstants:
    """The model's interpreter of ``version``: an upstream build configured for ``prefix``."""
    return BuildConstants(version=version, prefix=prefix, exec_prefix=prefix,
                          builtin_modules=BUILTIN_MODULES)


def _stdlib(path: str, version: Version) -> dict[str, Node]:
    """A standard library as the model needs to see it: the landmarks, site-packages, and
    the modules importing site and runpy loads (read from sys.path before 3.11)."""
    row = behaviour_for(version)
    nodes = stdlib_skeleton(path)
    nodes[f"{path}/site-packages"] = Dir()
    for module in (*row.site_imports, *row.runpy_imports):
        if module == "importlib":
            nodes[f"{path}/importlib"] = Dir()
            nodes[f"{path}/importlib/__init__.py"] = File(b"# importlib\n")
        else:
            nodes[f"{path}/{module}.py"] = File(f"# {module}\n".encode())
    return nodes


def model_world(case: Bound, version: Version, prefix: str = MODEL_PREFIX) -> World:
    """The world of values the model predicts an example in: its layout, an installation at
    the compiled-in prefix, and the programs a wrapper's ``#!`` may name."""
    build = constants(version, prefix)
    minor = "%d.%d" % version[:2]
    layout = Layout()
    for program in HOST_PROGRAMS:
        layout = layout.with_file(program, b"\x7fELF host program placeholder\n", 0o755)
    installed = f"{prefix}/bin/python{minor}"
    layout = layout.with_file(installed, BINARY_DATA, 0o755)
    for path, node in _stdlib(f"{prefix}/{build.stdlib_subdir}", version).items():
        layout = layout.with_node(path, node)
    layout = layout.merged(case.layout)
    for stdlib in case.stdlibs:
        for path, node in _stdlib(stdlib, version).items():
            if case.layout.entry(path) is None:  # the layout's own files win
                layout = layout.with_node(path, node)
    builds = {path: build for path in (installed, *case.binaries)}
    return World(layout, builds)


# -- build steps -----------------------------------------------------------------------------
def with_builds(world: World, case: Bound) -> World:
    """``world`` with the example's build steps done, as the model plans them."""
    for step in case.builds:
        world = built(world, step, case.invocation.cwd, case.where)
    return world


def built(world: World, step: Mapping[str, Any], cwd: str, where: str = "") -> World:
    """One build step: the venv its builder writes, laid over ``world``."""
    python, target = step["python"], step["dir"]
    asked = predict(world, Invocation.make(python, ["-c", "pass"], cwd=cwd))
    if asked.status != "ok" or asked.version is None:
        raise ExampleError(f"{where}: [[build]] {python}: the model says it does not start "
                           f"({asked.status}), so no venv can be built with it")
    real = kernel.realpath(world.fs, asked.executable or python)
    version = tuple(int(p) for p in asked.version.split(".")[:3])
    source = venvplan.Source(
        version=(version[0], version[1], version[2]), executable=asked.executable or "",
        executable_real=real if isinstance(real, str) else (asked.executable or ""),
        base_executable=asked.base_executable or "", prefix=asked.prefix or "",
        base_prefix=asked.base_prefix or "", base_exec_prefix=asked.base_exec_prefix or "")
    if step["builder"] == "prefixlab-env":
        return _built_env(world, step, asked, where)
    options = venvplan.Options(system_site_packages=bool(step.get("system-site-packages")))
    if step["builder"] == "venv":
        home = venvplan.stdlib_home(source)
    else:
        home = venvplan.choose_home(world, source, options, target)
    return venvplan.built_world(world, source, options, target, home)[0]


def _built_env(world: World, step: Mapping[str, Any], asked: Outcome, where: str) -> World:
    """``prefixlab build env --flavor FLAVOR``, planned over ``world`` and laid over it."""
    from prefixlab.model.builders import flavours
    from prefixlab.model.builders.buildenv import Package

    binary = kernel.realpath(world.fs, asked.base_executable or "")
    if not isinstance(binary, str) or binary not in world.builds:
        raise ExampleError(f"{where}: [[build]] {step['python']}: its base executable is "
                           "no interpreter binary the model knows")
    flavour = step.get("flavor", "reference")
    if flavour != "reference":
        return _built_nix_env(world, step, binary, asked, where)
    base = flavours.BaseInterpreter(binary, world.builds[binary], asked.base_prefix or "",
                                    asked.base_exec_prefix or "", step["python"])
    request = flavours.EnvRequest(step["dir"], base,
                                  tuple(Package(p) for p in step.get("packages", [])))
    try:
        planned = flavours.flavour("reference")(world.fs, request)
    except BadInput as error:
        raise ExampleError(f"{where}: [[build]] {step['dir']}: {error}") from None
    return _laid_over(world, step["dir"], planned.ops)


def _built_nix_env(world: World, step: Mapping[str, Any], binary: str, asked: Outcome,
                   where: str) -> World:
    """A nixpkgs flavour of ``build env``, as the real side plans it (impl/builders/nix.py
    _registered): the store python made from ``binary`` inside the environment, with the
    stand-in sitecustomize, and makeBinaryWrapper wrappers (:func:`wrapper_binary`)."""
    from prefixlab.model.builders.buildenv import Package

    target = step["dir"]
    base = nixplan.base_of(binary, world.builds[binary], asked.base_prefix or "",
                           asked.base_exec_prefix or "")
    head, _, name = target.rpartition("/")
    physical = kernel.realpath(world.fs, head or "/")
    try:
        planned = nixplan.plan_env(
            world.fs, target, base, [Package(p) for p in step.get("packages", [])],
            step["flavor"], sitecustomize=NIX_STAND_IN_TEXT.encode("utf-8"),
            argv0_mode="inherit" if step.get("argv0-mode") == "inherit" else "fixed",
            target_physical=(f"{physical.rstrip('/')}/{name}"
                             if not isinstance(physical, kernel.Errno) else target))
    except (MergeError, BadInput) as error:
        raise ExampleError(f"{where}: [[build]] {target}: {error}") from None
    return _laid_over(world, target, planned.ops)


WRAPPER_DATA = b"\x7fELF prefixlab placeholder: a compiled makeBinaryWrapper wrapper\n"


def wrapper_binary(op: CWrapper) -> bytes:
    """What the model sees of the wrapper the real side compiles for ``op``: an ELF file
    holding the makeCWrapper record nixpkgs embeds (make-binary-wrapper.sh formatArgs, which
    leaves --resolve-argv0 out; the code that resolves leaves its format string, which
    binarywrapper.read_binary looks for)."""
    words = [bashwords.quote(op.executable)]
    flags = list(op.flags)
    n = 0
    while n < len(flags):
        arity = binarywrapper.ARITY.get(flags[n])
        if arity is None:
            raise ExampleError(f"{op.path}: {flags[n]!r} is no makeCWrapper flag")
        if flags[n] != "--resolve-argv0":
            quoted = map(bashwords.quote, flags[n + 1:n + 1 + arity])
            words.append(" ".join([flags[n], *quoted]))
        n += 1 + arity
    record = " \\\n    ".join(words)
    resolves = binarywrapper.RESOLVE_TELL if "--resolve-argv0" in flags else b""
    return (WRAPPER_DATA + (binarywrapper.RECORD_START + record).encode(
        "utf-8", "surrogateescape") + binarywrapper.RECORD_END.encode() + b"\n" + resolves)


def _laid_over(world: World, target: str, operations: Iterable[Operation]) -> World:
    """``world`` with a plan's operations written at ``target`` (a copied interpreter binary
    is known as the build it copies), as model/builders/venv.py built_world does."""
    nodes: dict[str, Node] = {target: Dir()}
    builds = dict(world.builds)
    for op in operations:
        path = f"{target}/{op.path}"
        if isinstance(op, Mkdir):
            nodes[path] = Dir(op.mode)
        elif isinstance(op, Link):
            nodes[path] = Symlink(op.target)
        elif isinstance(op, Write):
            nodes[path] = File(op.data, op.mode)
        elif isinstance(op, CWrapper):
            nodes[path] = File(wrapper_binary(op), 0o755)
        elif isinstance(op, Copy):
            nodes[path] = File(BINARY_DATA, 0o755)
            real = kernel.realpath(world.fs, op.source)
            if isinstance(real, str) and real in world.builds:
                builds[path] = world.builds[real]
        else:
            raise ExampleError(f"{target}/{op.path}: the model lays no "
                               f"{type(op).__name__} over an example")
    return replace(world, fs=Overlay(world.fs, ((target, Layout(nodes)),)), builds=builds)


# -- predicting and comparing ------------------------------------------------------------------
def predicted(world: World, case: Bound) -> dict[str, Any]:
    """The model's answer for the example's run, as the keys ``[expect]`` names."""
    world = with_builds(world, case)
    return answer(predict(world, case.invocation), world)


def answer(outcome: Outcome, world: World | None = None) -> dict[str, Any]:
    """An outcome as the keys ``[expect]`` names; with the ``world`` it was predicted in,
    ``flags`` too (the model's sys.flags: :func:`model_flags`)."""
    data = outcome.to_json(with_trace=False)
    data["path0"] = data["path"][0] if data["path"] else None
    # As `prefixlab diff` compares them (Outcome.comparable): site's report of a failing
    # .pth line without the traceback between its first and last lines.
    data["warnings"] = list(unpredicted_output_removed(tuple(data["warnings"])))
    if world is not None:
        data["flags"] = model_flags(world, outcome)
    return data


def model_flags(world: World, outcome: Outcome) -> dict[str, int] | None:
    """The fields of sys.flags :data:`FLAGS` names, for a start the model predicted (None
    for one that did not start): the start-up configuration of the command line and the
    environment the interpreter receives (after the exec chain), as
    Python/initconfig.c makes it, with the changes a ._pth file makes (getpath.py 3.11+:
    isolated, no environment, safe_path, and no site unless it says 'import site').
    sys.flags holds ints, safe_path a bool (Python/sysmodule.c set_flags_from_config)."""
    if outcome.status != "ok":
        return None
    invocation = outcome.invocation
    resolver = kernel.Resolver(world.fs, "/")
    cwd = resolver.realpath(invocation.cwd)
    if isinstance(cwd, kernel.Errno):
        return None
    resolver.cwd = cwd
    target = chain.exec_target(world.fs, invocation, cwd, resolver)
    if not isinstance(target, kernel.Errno) and target in world.builds:
        build = world.builds[target]
    else:
        hop = chain.follow(world.fs, invocation, cwd, world.builds, [])
        if isinstance(hop, chain.Stopped):
            return None
        invocation, build = hop.invocation, world.builds[hop.target]
    row = behaviour_for(build.version)
    config = startup_config(parse_command_line(invocation.argv[1:], row), invocation.environ,
                            row)
    flags = {"isolated": config.isolated, "ignore_environment": not config.use_environment,
             "no_user_site": not config.user_site, "no_site": not config.site_import,
             "safe_path": config.safe_path}
    fired = outcome.trace.rules()
    if "pth.found" in fired:
        flags.update(isolated=True, ignore_environment=True, safe_path=True,
                     no_site="pth.import-site" not in fired)
    found = {name: int(value) for name, value in flags.items()}
    if not row.safe_path_option:
        del found["safe_path"]
    return found


def differences(expect: Mapping[str, Any], got: Mapping[str, Any]) -> list[str]:
    """One line per expected key whose value differs (of ``flags``, the fields named)."""
    def same(key: str, value: Any) -> bool:
        if key == "flags" and isinstance(value, dict) and isinstance(got.get(key), dict):
            return all(got[key].get(name) == level for name, level in value.items())
        return bool(got.get(key) == value)

    return [f"{key}: expected {value!r}, got {got.get(key)!r}"
            for key, value in expect.items() if not same(key, value)]


def check_on_model(example: Example, version: Version) -> list[str]:
    """How the model's answer for ``example`` as ``version`` differs from its [expect]."""
    case = bound(example, root=MODEL_ROOT, version=version, prefix=MODEL_PREFIX)
    return differences(case.expect, predicted(model_world(case, version), case))


def model_rows(example: Example) -> Iterator[tuple[str, Version]]:
    """The rows the example is checked on, by the model alone."""
    for name, version in rows(example.versions):
        behaviour_for(version)  # every row the spec reaches is one the model has
        yield name, version
