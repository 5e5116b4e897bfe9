"""The working state of one getpath computation, and the helpers bound to it.

``Inputs`` is what getpath is given (frozen); ``Calc`` holds getpath's own variables, named
as in Modules/getpath.py (and getpath.c for 3.8-3.10), while the stages run.  Every helper
call records a probe (a :class:`~prefixlab.model.trace.Probe` row), every decision a
:class:`~prefixlab.model.trace.Step`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefixlab.model.errors import PrefixlabError
from prefixlab.model.paths import getpath as h
from prefixlab.model.speedups import dataclass, field
from prefixlab.model.world import kernel
from prefixlab.model.world.build import Behaviour, BuildConstants
from prefixlab.model.startup.cmdline import CommandLine, StartupConfig
from prefixlab.model.world.fs import Entry, FsView, ReadBlocks
from prefixlab.model.trace import ProbeRow, Rule, StepRow, rule
from prefixlab.model.speedups import FRESH_LIST, FRESH_SET


R_HELPER_UTF8 = rule(
    "getpath.helper-utf8", "getpath",
    "getpath's dirname()/basename() encode their argument to UTF-8 (strict); a path holding "
    "bytes that are not UTF-8 (decoded with surrogateescape) cannot be encoded, and start-up "
    "fails with 'error evaluating path'.",
    "getpath.c getpath_dirname/getpath_basename (3.11.0; gh-94526, fixed in 3.11.1 by PR 97645)")

R_READ_BLOCKS = rule(
    "read.blocks", "read",
    "The file to read is a FIFO: opening it for reading waits until some process opens it "
    "for writing, and nothing at start-up does, so the interpreter hangs.",
    "fifo(7), open(2); getpath.c getpath_readlines, Lib/site.py addpackage (io.open_code)")


@dataclass(frozen=True)
class Inputs:
    """Everything getpath reads: the world, the build, the invocation as the process has it."""

    fs: FsView
    cwd: str
    """The process's working directory: physical, as getcwd() returns it."""
    build: BuildConstants
    row: Behaviour
    argv: tuple[str, ...]
    env: Mapping[str, str]
    cmdline: CommandLine
    config: StartupConfig

    # Written out for the compiled build's speed (model/speedups.py).
    def __init__(self,
                 fs: FsView,
                 cwd: str,
                 build: BuildConstants,
                 row: Behaviour,
                 argv: tuple[str, ...],
                 env: Mapping[str, str],
                 cmdline: CommandLine,
                 config: StartupConfig) -> None:
        object.__setattr__(self, "fs", fs)
        object.__setattr__(self, "cwd", cwd)
        object.__setattr__(self, "build", build)
        object.__setattr__(self, "row", row)
        object.__setattr__(self, "argv", argv)
        object.__setattr__(self, "env", env)
        object.__setattr__(self, "cmdline", cmdline)
        object.__setattr__(self, "config", config)


class StartupFailed(PrefixlabError):
    """getpath cannot finish: a fatal error, with the kind a caller can match on."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.calc: Calc | None = None
        """The calculation as far as it got (set by the runner)."""



@dataclass
class Calc:
    """getpath's variables while the stages run."""

    inputs: Inputs
    program_name: str = ""
    executable: str | None = None
    executable_dir: str | None = None
    real_executable: str | None = None
    real_executable_dir: str | None = None
    base_executable: str | None = None
    home: str | None = None
    home_was_set: bool = False
    venv_prefix: str | None = None
    use_environment: bool = True
    pth: list[str] | None = None
    pth_dir: str | None = None
    build_prefix: str | None = None
    prefix: str | None = None
    exec_prefix: str | None = None
    base_prefix: str | None = None
    base_exec_prefix: str | None = None
    stdlib_dir: str | None = None
    platstdlib_dir: str | None = None
    module_search_paths: list[str] = field(default_factory=list)
    # Flags a ._pth file rewrites.
    isolated: bool = False
    site_import: bool = True
    safe_path: bool = False
    # 3.8-3.10 (getpath.c) only: argv0_path, and the found-or-not of each search.
    argv0_path: str = ""
    prefix_found: int = 0
    exec_prefix_found: int = 0
    zip_path: str = ""
    warnings: list[str] = field(default_factory=list)
    steps: list[StepRow] = field(default_factory=list)
    probes: list[ProbeRow] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)
    """The directories the last search_up tested, nearest first (for the trace)."""
    asked: set[str] = field(default_factory=set)
    """The behaviour-table fields this computation consulted."""
    resolver: kernel.Resolver | None = None
    """The resolver to share (predict passes the one it resolved the program with)."""
    landmarks: tuple[str, str, str, str] | None = None
    """lib/pythonX.Y, its os.py, its lib-dynload and the zip name, once worked out."""
    sys_home: str | None = None
    """sys._home: site sets it from the home key of the pyvenv.cfg it finds (the last one,
    stripped); sysconfig then takes it as the project base (model/startup/schemes.py)."""
    _sys: kernel.Resolver = field(init=False, repr=False)
    """The resolver, never None (read on every helper call)."""
    _utf8_helpers: bool = field(init=False, repr=False)
    """The row's path_helpers_utf8_strict, read once (dirname runs often)."""

    # Written out for the compiled build's speed (model/speedups.py).
    def __init__(self,
                 inputs: Inputs,
                 program_name: str = "",
                 executable: str | None = None,
                 executable_dir: str | None = None,
                 real_executable: str | None = None,
                 real_executable_dir: str | None = None,
                 base_executable: str | None = None,
                 home: str | None = None,
                 home_was_set: bool = False,
                 venv_prefix: str | None = None,
                 use_environment: bool = True,
                 pth: list[str] | None = None,
                 pth_dir: str | None = None,
                 build_prefix: str | None = None,
                 prefix: str | None = None,
                 exec_prefix: str | None = None,
                 base_prefix: str | None = None,
                 base_exec_prefix: str | None = None,
                 stdlib_dir: str | None = None,
                 platstdlib_dir: str | None = None,
                 module_search_paths: list[str] = FRESH_LIST,
                 isolated: bool = False,
                 site_import: bool = True,
                 safe_path: bool = False,
                 argv0_path: str = "",
                 prefix_found: int = 0,
                 exec_prefix_found: int = 0,
                 zip_path: str = "",
                 warnings: list[str] = FRESH_LIST,
                 steps: list[StepRow] = FRESH_LIST,
                 probes: list[ProbeRow] = FRESH_LIST,
                 searched: list[str] = FRESH_LIST,
                 asked: set[str] = FRESH_SET,
                 resolver: kernel.Resolver | None = None,
                 landmarks: tuple[str, str, str, str] | None = None,
                 sys_home: str | None = None) -> None:
        self.inputs = inputs
        self.program_name = program_name
        self.executable = executable
        self.executable_dir = executable_dir
        self.real_executable = real_executable
        self.real_executable_dir = real_executable_dir
        self.base_executable = base_executable
        self.home = home
        self.home_was_set = home_was_set
        self.venv_prefix = venv_prefix
        self.use_environment = use_environment
        self.pth = pth
        self.pth_dir = pth_dir
        self.build_prefix = build_prefix
        self.prefix = prefix
        self.exec_prefix = exec_prefix
        self.base_prefix = base_prefix
        self.base_exec_prefix = base_exec_prefix
        self.stdlib_dir = stdlib_dir
        self.platstdlib_dir = platstdlib_dir
        self.module_search_paths = [] if module_search_paths is FRESH_LIST else module_search_paths
        self.isolated = isolated
        self.site_import = site_import
        self.safe_path = safe_path
        self.argv0_path = argv0_path
        self.prefix_found = prefix_found
        self.exec_prefix_found = exec_prefix_found
        self.zip_path = zip_path
        self.warnings = [] if warnings is FRESH_LIST else warnings
        self.steps = [] if steps is FRESH_LIST else steps
        self.probes = [] if probes is FRESH_LIST else probes
        self.searched = [] if searched is FRESH_LIST else searched
        self.asked = set() if asked is FRESH_SET else asked
        self.resolver = resolver
        self.landmarks = landmarks
        self.sys_home = sys_home
        self.__post_init__()

    def __post_init__(self) -> None:
        if self.resolver is None or self.resolver.fs is not self.inputs.fs:
            self.resolver = kernel.Resolver(self.inputs.fs, self.inputs.cwd)
        self.resolver.cwd = self.inputs.cwd
        self._sys = self.resolver
        self._utf8_helpers = self.inputs.row.path_helpers_utf8_strict

    # -- recording ---------------------------------------------------------------------------
    def step(self, rule: Rule, template: str, *, versioned: bool = False,
             **values: object) -> None:
        """Record a decision with its values by name; ``template`` (a str.format template over
        them) is filled in when the step is read (model/trace.py: Step.detail), as logging
        keeps a message's arguments: most predictions are never explained."""
        # A plain tuple, read as a Step through Trace.steps (model/trace.py: StepRow).
        row = self.inputs.row.name if versioned else ""
        for value in values.values():
            if isinstance(value, list):  # a later append must not change what was found
                values = {name: list(v) if isinstance(v, list) else v
                          for name, v in values.items()}
                break
        self.steps.append((rule, template, row, values))

    def ask(self, name: str) -> Any:
        """A behaviour of this interpreter's version, from its row of the table (recorded, so
        that the trace and the sweep histograms say which rows' fields decided)."""
        self.asked.add(name)
        return getattr(self.inputs.row, name)

    def warn(self, message: str) -> None:
        """getpath's warn(): a line on stderr (pathconfig_warnings is on for the CLI)."""
        self.warnings.append(message)

    # -- helpers, as getpath sees them ---------------------------------------------------------
    @property
    def syscalls(self) -> kernel.Resolver:
        """The resolver that answers this computation's stat, readlink and open calls."""
        return self._sys

    @property
    def cwd(self) -> str:
        return self.inputs.cwd

    def _stat(self, helper: str, path: str) -> Entry | None:
        """stat(), recorded as a probe: what it names, or None."""
        found = self._sys.lookup(path)
        entry = found.entry
        # An Errno is a str: its name stands as the probe's result without an enum lookup.
        kind = entry.kind if entry is not None else (found.error or "")
        self.probes.append((helper, path, kind, found.links))
        return entry

    def isfile(self, path: str) -> bool:
        entry = self._stat("isfile", path)
        return entry is not None and entry.kind == "file"

    def isdir(self, path: str) -> bool:
        entry = self._stat("isdir", path)
        return entry is not None and entry.kind == "dir"

    def isxfile(self, path: str) -> bool:
        entry = self._stat("isxfile", path)
        return entry is not None and entry.kind == "file" and bool(entry.mode & 0o111)

    def readlines(self, path: str) -> list[str] | kernel.Errno:
        """getpath_readlines: the lines, or the errno of the OSError getpath.py would see
        (raises TooLarge)."""
        found = self._sys.lookup(path)
        # Most files getpath reads do not exist: fopen's errno is the lookup's (as in
        # read_lines via read_file), without the two calls.
        try:
            lines = (found.error or kernel.Errno.ENOENT) if found.entry is None else (
                h.read_lines(self._sys, path))
        except ReadBlocks as blocked:
            raise self._hang(blocked) from None
        # An Errno is a str: its name stands as the probe's result.
        result = lines if isinstance(lines, str) else f"{len(lines)} lines"
        self.probes.append(("readlines", path, result, ()))
        return lines

    def read_bytes(self, path: str) -> bytes | kernel.Errno:
        try:
            data = self.syscalls.read_file(path)
        except ReadBlocks as blocked:
            raise self._hang(blocked) from None
        result = data.value if isinstance(data, kernel.Errno) else f"{len(data)} bytes"
        self.probes.append(("open", path, result, ()))
        return data

    def _hang(self, blocked: ReadBlocks) -> StartupFailed:
        """The start that blocks reading a FIFO, recorded as a step."""
        self.probes.append(("open", blocked.path, "blocks (a FIFO)", ()))
        self.step(R_READ_BLOCKS, "{file!r} is a FIFO", versioned=False, file=blocked.path)
        return StartupFailed("hang", str(blocked))

    def realpath(self, path: str) -> str:
        """getpath_realpath (3.11+); raises LinkLimit."""
        try:
            resolved = h.follow_final_links(self.syscalls, path, self.ask("link_limit"))
        except h.LinkLimit:
            self.probes.append(("realpath", path, "maximum number of symbolic links", ()))
            raise
        self.probes.append(("realpath", path, resolved, ()))
        return resolved

    # joinpath is pure: the stages call paths.getpath.joinpath directly (a staticmethod in
    # this class body became a per-instance attribute, made at every construction, in mypyc).

    def dirname(self, path: str) -> str:
        """getpath.py's dirname()."""
        if self._utf8_helpers:
            self._encode_utf8("dirname", path)
        return h.dirname(path)

    def basename(self, path: str) -> str:
        """getpath.py's basename()."""
        if self._utf8_helpers:
            self._encode_utf8("basename", path)
        return h.basename(path)

    def _encode_utf8(self, helper: str, path: str) -> None:
        """3.11.0: the helper's PyUnicode_AsUTF8 fails on a surrogate; the codec machinery
        is not up yet, so the error becomes 'error evaluating path' (gh-94526)."""
        self.ask("path_helpers_utf8_strict")
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            self.step(R_HELPER_UTF8, "{helper}({path!r})", versioned=True, helper=helper,
                      path=path)
            raise StartupFailed("getpath-error", "error evaluating path: "
                                f"{helper}() cannot encode {repr(path)} to UTF-8") from None

    def abspath(self, path: str) -> str:
        return h.abspath(path, self.cwd)

    def search_up(self, start: str | None, *landmarks: str, test: str = "isfile") -> str | None:
        """getpath.py search_up: test start and each dirname of it (never '/', never '')
        for a landmark; return the *raw* directory string that matched."""
        kind = "dir" if test == "isdir" else "file"
        prefix = start
        self.searched = searched = []
        # From a clean start, with clean landmarks, joinpath is a plain concatenation for
        # every prefix (a dirname of a clean path is clean): one check here instead of
        # normpath's scans at every join.
        plain = _plain_joins(start, landmarks)
        while prefix:
            searched.append(prefix)
            for landmark in landmarks:  # any(), without a generator per directory
                # Direct calls, not through locals: mypyc makes them native calls.
                entry = self._stat(test, f"{prefix}/{landmark}" if plain
                                   else h.joinpath(prefix, landmark))
                if entry is not None and entry.kind == kind:
                    return prefix
            prefix = self.dirname(prefix) if self._utf8_helpers else h.dirname(prefix)
        return None


def _plain_joins(start: str | None, landmarks: tuple[str, ...]) -> bool:
    """Is joinpath(prefix, landmark) just prefix + '/' + landmark for ``start``, each of its
    dirnames and each landmark?  So when the start is absolute, longer than '/', without an
    empty or dot-led component or a trailing '/', and each landmark relative and alike:
    normpath then finds nothing to do."""
    if not start or len(start) < 2 or start[0] != "/" or not _clean(start):
        return False
    for landmark in landmarks:
        if not landmark or landmark[0] == "/" or landmark[0] == "." or not _clean(landmark):
            return False
    return True


def _clean(path: str) -> bool:
    return path[-1] != "/" and "//" not in path and "/." not in path
