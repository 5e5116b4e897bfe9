"""The reference venv builder's planner: what `python -m venv --without-pip` of an interpreter
would write, as a plan (model/builders/plan.py), with ``home`` chosen so that the venv starts.

Two pure steps.  :func:`choose_home` picks the base executable the venv's ``bin/python*``
point at (its directory is ``home``): stdlib venv takes ``sys._base_executable`` as it is,
which breaks when a stdlib landmark of another installation sits above a symlinked
executable (gh-106045, uv#10674) and, on 3.8-3.10, chains a venv made from a venv to the other
venv; the reference rule walks the final-component links of ``sys._base_executable`` (as
getpath's realpath does) and takes the first candidate, outside any venv, from which the
built venv -- predicted by the model with the plan overlaid on the filesystem -- starts with
the interpreter's own base prefix.  :func:`plan` then lays the venv out exactly as that
version's venv module does (layout, bin entries, pyvenv.cfg keys in order, activation scripts
substituted as its replace_variables does), each version difference a field of the behaviour
table (model/world/build.py).  ``plan`` is cheap and imports little; ``choose_home`` runs the model.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays off a warm build venv's start-up (model/speedups.py)
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any, Literal, NamedTuple
else:
    from prefixlab.model.speedups import NamedTuple

from prefixlab.model.builders.plan import Copy, Link, Mkdir, Operation, Write
from prefixlab.model.errors import BadInput
# venv splits the absolute base executable with os.path (Lib/venv/__init__.py
# ensure_directories); every path split here is absolute.
from prefixlab.model.paths.posix import basename, dirname
from prefixlab.model.trace import Joined, Step, rule

if TYPE_CHECKING:
    from prefixlab.model.world.build import BuildConstants, Version
    from prefixlab.model.world import World

R_HOME_STDLIB = rule(
    "venv.home-stdlib", "venv",
    "home is the directory of sys._base_executable made absolute, never resolved, and "
    "bin/<its name> links to it (stdlib venv's rule, kept by --stdlib-compatible).",
    "Lib/venv/__init__.py ensure_directories (3.8-3.13)")
R_HOME_CANDIDATE = rule(
    "venv.home-candidate", "venv",
    "A candidate base executable: sys._base_executable, then each target of its final "
    "component's links in turn, as getpath's realpath follows them.",
    "Modules/getpath.c getpath_realpath; gh-106045")
R_HOME_IN_VENV = rule(
    "venv.home-in-venv", "venv",
    "A candidate whose directory (or its parent) holds pyvenv.cfg belongs to a venv: a venv "
    "made from a venv points at the base installation, never at the other venv.",
    "stdlib venv 3.8-3.10 chains venvs (sys._base_executable is the venv's own python)")
R_HOME_THROUGH_VENV = rule(
    "venv.home-through-venv", "venv",
    "A candidate whose links lead through a venv's interpreter depends on that venv: deleting "
    "the venv would break the new one, so the base is taken beyond it.",
    "stdlib venv 3.11+ uses the base installation's executable for a venv made from a venv "
    "(gh-89576); a link to a venv's python is the same dependency")
R_HOME_REJECTED = rule(
    "venv.home-rejected", "venv",
    "With home at this candidate's directory the built venv would not start with the "
    "interpreter's base prefix (predicted with the plan laid over the filesystem).",
    "gh-106045; astral-sh/uv#10674 (a stdlib landmark above a symlinked executable)")
R_HOME_CHOSEN = rule(
    "venv.home-verified", "venv",
    "home is the directory of the first candidate from which the built venv starts with "
    "prefix TARGET and the interpreter's base prefixes (the model predicts the built venv).",
    "PEP 405 (home: the directory of the base executable); gh-106045")
R_HOME_UNVERIFIED = rule(
    "venv.home-unverified", "venv",
    "No candidate gives a venv that starts with the interpreter's base prefix: stdlib "
    "venv's choice is kept, and the build says so.",
    "gh-106045")
R_BIN_EXE = rule(
    "venv.bin-executable", "venv",
    "bin/<name of the base executable> is an absolute link to it (a copy with --copies).",
    "Lib/venv/__init__.py setup_python (symlink_or_copy)")
R_BIN_ALIAS = rule(
    "venv.bin-alias", "venv",
    "python, python3 and (3.9+) python3.X, where absent, are relative links to that entry "
    "(copies of it with --copies).",
    "Lib/venv/__init__.py setup_python (relative_symlinks_ok)")
R_SCRIPTS = rule(
    "venv.scripts", "venv",
    "The interpreter's own activation scripts (venv/scripts/common and posix) are written to "
    "bin with __VENV_DIR__, __VENV_NAME__, __VENV_PROMPT__, __VENV_BIN_NAME__ and "
    "__VENV_PYTHON__ replaced (quoted for the script's shell where the stdlib does, "
    "gh-124651).",
    "Lib/venv/__init__.py install_scripts, replace_variables")
R_CFG = rule(
    "venv.pyvenv-cfg", "venv",
    "pyvenv.cfg holds home, include-system-site-packages, version, prompt (when given) and, "
    "3.11+, executable and command, in that order.",
    "Lib/venv/__init__.py create_configuration")

if TYPE_CHECKING:
    Quoting = Literal["plain", "quoted"]
"""How the stdlib substitutes the placeholders: verbatim, or quoted for the script's shell
(gh-124651: upstream security releases and distribution backports, e.g. Debian's 3.11.2)."""


# The values below are NamedTuples (immutable, compared by value, like trace.Step) rather than
# frozen dataclasses: a warm `prefixlab build venv` imports this module, and creating a frozen
# dataclass costs about ten times as much as a NamedTuple (the command must start faster
# than `python -m venv`: bench/README.md).


class VenvPlanError(BadInput, ValueError):
    """The venv cannot be planned (one line naming what is wrong)."""


class Template(NamedTuple):
    """An activation script as the interpreter's stdlib ships it."""

    path: str
    """Where install_scripts puts it, relative to bin ('activate', 'activate.fish' ...)."""
    data: bytes
    mode: int = 0o644


class VenvRules(NamedTuple):
    """The behaviour table's answers (model/world/build.py, Behaviour.venv_*) for one version, as
    the venv module of that version behaves; learned with the interpreter, so that planning
    from learned facts need not load the table."""

    row: str
    versioned_link: bool
    prompt_dot_is_cwd: bool
    prompt_parenthesised: bool
    dirs_from_scheme: bool
    cfg_executable_command: bool
    gitignore: bool


def venv_rules(version: Version) -> VenvRules:
    """The behaviour row's venv fields for ``version`` (raises UnsupportedVersion)."""
    from prefixlab.model.world.build import behaviour_for

    row = behaviour_for(version)
    return VenvRules(row.name, row.venv_versioned_link, row.venv_prompt_dot_is_cwd,
                     row.venv_prompt_parenthesised, row.venv_dirs_from_scheme,
                     row.venv_cfg_executable_command, row.venv_gitignore)


class Source(NamedTuple):
    """What is known of INTERPRETER: the model's outcome for it and facts learned from its
    build and its own stdlib."""

    version: Version
    executable: str
    """sys.executable as it reports it."""
    executable_real: str
    """os.path.realpath(sys.executable) (pyvenv.cfg's executable, 3.11+)."""
    base_executable: str
    """sys._base_executable."""
    prefix: str
    base_prefix: str
    base_exec_prefix: str
    abi_thread: str = ""
    abiflags: str = ""
    pointer_bits: int = 64
    """64 on a 64-bit build: lib64 -> lib is made (bpo-21197, sys.maxsize > 2**32)."""
    os_name: str = "posix"
    templates: tuple[Template, ...] = ()
    quoting: Quoting = "plain"
    rules: VenvRules | None = None
    """The behaviour table's venv answers for ``version`` (looked up when None)."""

    @property
    def minor_text(self) -> str:
        return "%d.%d" % self.version[:2]

    @property
    def is_venv(self) -> bool:
        return self.prefix != self.base_prefix


class Options(NamedTuple):
    """The command line's choices (--system-site-packages, --copies, --prompt,
    --stdlib-compatible, --without-scm-ignore-files)."""

    system_site_packages: bool = False
    copies: bool = False
    prompt: str | None = None
    stdlib_compatible: bool = False
    scm_ignore_files: bool = True
    """False: no .gitignore, as 3.13's ``--without-scm-ignore-files`` (gh-108125) empties
    EnvBuilder's scm_ignore_files; the versions before write none either way."""


class Home(NamedTuple):
    """The base executable the venv's bin entries point at; home is its directory."""

    executable: str
    steps: tuple[Step, ...] = ()
    verified: bool = True
    """False when no candidate could be shown to work (stdlib's choice kept)."""

    @property
    def directory(self) -> str:
        return dirname(self.executable)


class VenvPlan(NamedTuple):
    """The operations, the home they use and the steps that chose them."""

    operations: tuple[Operation, ...]
    home: Home
    steps: tuple[Step, ...] = ()


# -- the layout --------------------------------------------------------------------------------
def plan(source: Source, home: Home, options: Options, target: str, *, cwd_name: str,
         command: str) -> VenvPlan:
    """The operations that make the venv at ``target`` (absolute, not resolved).

    ``cwd_name`` is the working directory's name (``--prompt .``); ``command`` the command
    line recorded in pyvenv.cfg (3.11+)."""
    if not target.startswith("/"):
        raise VenvPlanError(f"{target!r}: TARGET must be absolute")
    row = source.rules or venv_rules(source.version)
    minor = source.minor_text
    ops: list[Operation] = []
    steps: list[Step] = list(home.steps)
    # Directories in the order ensure_directories makes them (order matters only to parents).
    if row.dirs_from_scheme:  # sysconfig's venv scheme (bpo-45413)
        ops += [Mkdir("include"), Mkdir(f"include/python{minor}{source.abiflags}")]
        lib = f"lib/python{minor}{source.abi_thread}"
    else:
        ops.append(Mkdir("include"))
        lib = f"lib/python{minor}"
    ops += [Mkdir("lib"), Mkdir(lib), Mkdir(f"{lib}/site-packages")]
    if source.pointer_bits > 32 and source.os_name == "posix":  # bpo-21197; not on macOS
        ops.append(Link("lib64", "lib"))
    ops.append(Mkdir("bin"))
    if row.gitignore and options.scm_ignore_files:
        ops.append(Write(".gitignore", b"# Created by venv; see "
                         b"https://docs.python.org/3/library/venv.html\n*\n"))
    prompt = options.prompt
    if prompt == "." and row.prompt_dot_is_cwd:  # bpo-38901
        prompt = cwd_name
    ops.append(Write("pyvenv.cfg", _cfg(source, home, options, prompt,
                                        row.cfg_executable_command, command)))
    steps.append(Step.of(R_CFG, "home = {home}", row.row, home=home.directory))
    exename = basename(home.executable)
    names = ["python", "python3"] + ([f"python3.{source.version[1]}"]
                                     if row.versioned_link else [])
    if options.copies:
        ops.append(Copy(f"bin/{exename}", home.executable))
        ops += [Copy(f"bin/{n}", home.executable) for n in names if n != exename]
    else:
        ops.append(Link(f"bin/{exename}", home.executable))
        ops += [Link(f"bin/{n}", exename) for n in names if n != exename]
    steps.append(Step.of(R_BIN_EXE, "{bin} -> {target}", row.row, bin=f"bin/{exename}",
                         target=home.executable))
    aliases = Joined(n for n in names if n != exename)
    steps.append(Step.of(R_BIN_ALIAS, "{aliases} -> {target}", row.row, aliases=aliases,
                         target=exename))
    env_name = basename(target)
    shown = prompt if prompt is not None else env_name
    context = {
        "__VENV_DIR__": target,
        "__VENV_NAME__": env_name,
        "__VENV_PROMPT__": f"({shown}) " if row.prompt_parenthesised else shown,
        "__VENV_BIN_NAME__": "bin",
        "__VENV_PYTHON__": f"{target}/bin/{exename}",
    }
    made = {op.path for op in ops}
    for template in source.templates:
        text = _substitute(template, context, source.quoting)
        if text is None:
            continue  # not UTF-8: install_scripts warns and skips it
        parts = template.path.split("/")
        for depth in range(1, len(parts)):
            sub = "bin/" + "/".join(parts[:depth])
            if sub not in made:
                ops.append(Mkdir(sub))
                made.add(sub)
        ops.append(Write(f"bin/{template.path}", text, template.mode))
    steps.append(Step.of(R_SCRIPTS, "{scripts}", row.row,
                         scripts=Joined(t.path for t in source.templates)))
    return VenvPlan(tuple(ops), home, tuple(steps))


def _cfg(source: Source, home: Home, options: Options, prompt: str | None,
         executable_command: bool, command: str) -> bytes:
    lines = [f"home = {home.directory}",
             f"include-system-site-packages = {'true' if options.system_site_packages else 'false'}",
             "version = %d.%d.%d" % source.version]
    if prompt is not None:
        lines.append(f"prompt = {prompt!r}")
    if executable_command:
        lines.append(f"executable = {source.executable_real}")
        lines.append(f"command = {command}")
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")


def _substitute(template: Template, context: Mapping[str, str], quoting: Quoting
                ) -> bytes | None:
    try:
        text = template.data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    for key, value in context.items():
        if quoting == "quoted":  # gh-124651: each shell gets its own quoting
            value = (_quote_ps1(value) if template.path.endswith(".ps1")
                     else value if template.path.endswith(".bat") else shell_quote(value))
        text = text.replace(key, value)
    return text.encode("utf-8", "surrogateescape")


_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")


def shell_quote(text: str) -> str:
    """shlex.quote: as is when every character is safe (ASCII word characters and @%+=:,./-),
    else in single quotes with each ' written as '"'"'."""
    if not text:
        return "''"
    if all(ch in _SAFE for ch in text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _quote_ps1(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- home ------------------------------------------------------------------------------------
def stdlib_home(source: Source) -> Home:
    """stdlib venv's choice: sys._base_executable as it is (absolute, not resolved)."""
    exe = source.base_executable
    if not exe:  # gh-96861: venv refuses an empty sys._base_executable
        raise VenvPlanError("the interpreter reports no sys._base_executable")
    return Home(exe, (Step.of(R_HOME_STDLIB, "home = {home} (from sys._base_executable "
                              "{executable})", home=dirname(exe), executable=exe),))


def choose_home(world: World, source: Source, options: Options, target: str, *,
                cwd_name: str = "", command: str = "") -> Home:
    """The base executable for ``target``'s bin entries (see the module's docstring).

    ``world`` is the filesystem and the known builds as they are before the build; every
    candidate is checked by predicting ``TARGET/bin/python`` with its plan overlaid."""
    if options.stdlib_compatible:
        return stdlib_home(source)
    stdlib = stdlib_home(source)
    from prefixlab.model.world import kernel  # the model proper: only here, never in plan()

    steps: list[Step] = []
    resolver = kernel.Resolver(world.fs, "/")
    found = list(candidates(world, source))
    through = _through_venv(resolver, found)
    for n, path in enumerate(found):
        steps.append(Step.of(R_HOME_CANDIDATE, "{candidate}", candidate=path))
        directory = dirname(path)
        if _in_venv(resolver, directory):
            steps.append(Step.of(R_HOME_IN_VENV, "{home} is inside a venv", home=directory,
                                 candidate=path))
        elif through[n]:
            steps.append(Step.of(R_HOME_THROUGH_VENV, "{candidate} leads through the venv "
                                 "interpreter {venv_executable}", candidate=path,
                                 venv_executable=through[n]))
        else:
            why = _check(world, source, options, target, Home(path), cwd_name, command)
            if why == "":
                steps.append(Step.of(R_HOME_CHOSEN, "home = {home} (bin entry -> {executable})",
                                     home=directory, executable=path))
                return Home(path, tuple(steps))
            steps.append(Step.of(R_HOME_REJECTED, "{home}: {why}", home=directory, why=why,
                                 candidate=path))
    steps.append(Step.of(R_HOME_UNVERIFIED, "home = {home} (stdlib's choice)",
                         home=stdlib.directory))
    return Home(stdlib.executable, (*stdlib.steps, *steps), verified=False)


def candidates(world: World, source: Source) -> Iterator[str]:
    """sys._base_executable, then each target of its final component's links (getpath's
    realpath, 3.11+: a relative target replaces the last component, normalised), then, for a
    venv, the executables beside its pyvenv.cfg home (a --copies venv has no link to follow;
    the names getpath 3.11.1+ tries, gh-99204)."""
    from prefixlab.model.paths import getpath as cpython_helpers
    from prefixlab.model.world import kernel

    resolver = kernel.Resolver(world.fs, "/")
    executable = stdlib_home(source).executable
    seen: set[str] = set()
    path = executable
    for _ in range(41):  # getpath_realpath's limit (40) plus the path itself
        if path in seen:
            break
        seen.add(path)
        yield path
        link = resolver.readlink(path)
        if isinstance(link, kernel.Errno):
            break
        path = link if link.startswith("/") else cpython_helpers.normpath(
            cpython_helpers.add_relfile(dirname(path), link))
    if not source.is_venv:
        return
    home = _cfg_home(resolver, source.prefix)
    if home is None:
        return
    for name in (basename(executable), f"python{source.minor_text}", "python3"):
        path = f"{home}/{name}"
        if path not in seen and resolver.stat(path) is not None:
            seen.add(path)
            yield path


def _through_venv(resolver: Any, found: list[str]) -> list[str]:
    """For each candidate, the first later candidate of the same link chain that is inside a
    venv ('' when none): a link that reaches the base through a venv's interpreter dies with
    that venv.  The chain is the candidates up to the first one that is no link's target
    (the executables beside a venv's home start afresh)."""
    from prefixlab.model.world import kernel

    out = [""] * len(found)
    later = ""
    for n in range(len(found) - 1, -1, -1):
        path = found[n]
        if _in_venv(resolver, dirname(path)):
            later = path
        out[n] = later if later != path else ""
        if n and isinstance(resolver.readlink(found[n - 1]), kernel.Errno):
            later = ""  # found[n] does not follow from found[n - 1]: a new chain
    return out


def _cfg_home(resolver: Any, venv: str) -> str | None:
    """The home key of VENV/pyvenv.cfg (getpath's reading: 'home = VALUE', value stripped)."""
    from prefixlab.model.world import kernel

    data = resolver.read_file(f"{venv}/pyvenv.cfg")
    if isinstance(data, kernel.Errno):
        return None
    for line in data.decode("utf-8", "surrogateescape").splitlines():
        key, equals, value = line.partition("=")
        if equals and key.strip() == "home" and value.strip().startswith("/"):
            return value.strip().rstrip("/") or "/"
    return None


def _in_venv(resolver: object, directory: str) -> bool:
    from prefixlab.model.world import kernel

    assert isinstance(resolver, kernel.Resolver)
    for place in (directory, dirname(directory)):
        found = resolver.stat(f"{place}/pyvenv.cfg" if place != "/" else "/pyvenv.cfg")
        if found is not None and found.kind == "file":
            return True
    return False


def built_world(world: World, source: Source, options: Options, target: str, home: Home,
                *, cwd_name: str = "", command: str = "") -> tuple[World, str]:
    """The world with the venv planned for ``home`` laid over it at ``target`` (made
    physical), and that physical path.  A copied binary is known as the build it copies."""
    from prefixlab.model.speedups import replace

    from prefixlab.model.world import kernel
    from prefixlab.model.world.fs import Dir, File, Layout, Node, Overlay, Symlink

    parent = kernel.realpath(world.fs, dirname(target))
    if isinstance(parent, kernel.Errno):
        raise VenvPlanError(f"{dirname(target)}: {parent.value}")
    physical = (parent.rstrip("/") or "") + "/" + basename(target)
    planned = plan(source, home, options, target, cwd_name=cwd_name, command=command)
    nodes: dict[str, Node] = {physical: Dir()}
    builds: dict[str, BuildConstants] = dict(world.builds)
    for op in planned.operations:
        where = f"{physical}/{op.path}"
        if isinstance(op, Mkdir):
            nodes[where] = Dir(op.mode)
        elif isinstance(op, Link):
            nodes[where] = Symlink(op.target)
        elif isinstance(op, Write):
            nodes[where] = File(op.data, op.mode)
        elif isinstance(op, Copy):
            nodes[where] = File(b"", 0o755)
            real = kernel.realpath(world.fs, op.source)
            if isinstance(real, str) and real in world.builds:
                builds[where] = world.builds[real]
        else:  # a venv plans no other operation
            raise VenvPlanError(f"{op.path!r}: unexpected operation {type(op).__name__}")
    overlay = Overlay(world.fs, ((physical, Layout(nodes)),))
    return replace(world, fs=overlay, builds=builds), physical


def _check(world: World, source: Source, options: Options, target: str, home: Home,
           cwd_name: str, command: str) -> str:
    """'' when the venv built with ``home`` starts as a venv of the interpreter's base; else
    what goes wrong."""
    from prefixlab.model.world.invocation import Invocation
    from prefixlab.model.startup.predict import predict

    built, _ = built_world(world, source, options, target, home, cwd_name=cwd_name,
                           command=command)
    outcome = predict(built, Invocation.make(f"{target}/bin/python", cwd="/"))
    if outcome.status != "ok":
        message = outcome.error.message if outcome.error else outcome.status
        return f"the venv would not start ({message})"
    if outcome.warnings:
        return f"the venv would warn: {outcome.warnings[0]}"
    wrong = [f"{name} {got} instead of {want}" for name, got, want in (
        ("sys.prefix", outcome.prefix, target),
        ("sys.base_prefix", outcome.base_prefix, source.base_prefix),
        ("sys.base_exec_prefix", outcome.base_exec_prefix, source.base_exec_prefix))
        if got != want]
    return "; ".join(f"the venv would start with {w}" for w in wrong)
