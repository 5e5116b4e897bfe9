"""Module resolution: where ``import NAME`` would come from, by importlib's rules.

``sys.meta_path`` after start-up holds three finders, asked in order (site may add more,
e.g. for editable installs; those are reported by the site layer, not followed here):

1. BuiltinImporter: a name in ``sys.builtin_module_names`` (origin ``'built-in'``);
2. FrozenImporter: a frozen module (origin ``'frozen'``).  The import bootstrap is always
   used; from 3.11 part of the stdlib is frozen too, used unless frozen modules are off
   (``-X frozen_modules=off``, ``PYTHON_FROZEN_MODULES`` from 3.13, off by default in debug
   builds; Python/initconfig.c config_init_import, Python/import.c use_frozen).  The 3.11
   and 3.12 docs also say "off when running from the source tree", but 3.11.7, 3.12.1 and
   3.13.0 here use their frozen modules in a build tree (pybuilddir.txt, Lib/): the default
   is PyConfig's, 0 under Py_DEBUG and 1 otherwise (_PyConfig_InitCompatConfig);
3. PathFinder: each entry of the search path in order (``sys.path`` for a top-level name,
   the parent package's ``__path__`` for a dotted one).  An entry gets a finder from
   ``sys.path_hooks``: zipimporter when the entry (or a leading part of it) is a zip archive,
   else FileFinder when it is a directory; other entries are skipped.  In a directory a
   regular package (``NAME/__init__`` + an extension suffix, ``.py`` or ``.pyc``) beats a
   module file (the extension suffixes, then ``.py``, then a sourceless ``.pyc``); a
   directory ``NAME`` without ``__init__`` is a namespace portion.  The first regular
   candidate wins; the portions collected win only when no entry has a regular one.

The answer is what ``importlib.util.find_spec`` reports for a module not imported yet:
``origin`` and ``submodule_search_locations``.  Not modelled: what a parent package's
``__init__`` does to its ``__path__``, modules imported during start-up (``import`` returns
those from ``sys.modules``), finders added by site or ``.pth`` code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Literal

from prefixlab.model.speedups import dataclass, field
from prefixlab.model.startup import cmdline
from prefixlab.model.world import kernel
from prefixlab.model.world.build import Behaviour, BuildConstants, behaviour_for
from prefixlab.model.world.fs import FsView, with_prefix
from prefixlab.model.paths.importlib import path_abspath, path_join, path_join2, path_split
from prefixlab.model.outcome import Outcome
from prefixlab.model.startup.sitecode import CodeNotRun
from prefixlab.model.exec.chain import exec_target
from prefixlab.model.world import World
from prefixlab.model.trace import Step, rule
from prefixlab.model.startup.zipdir import zip_names

if TYPE_CHECKING:
    from prefixlab.model.startup.getpath.context import Calc

Kind = Literal["built-in", "frozen", "package", "module", "extension", "bytecode",
               "namespace", "zip-package", "zip-module"]

R_BUILTIN = rule(
    "which.builtin", "import",
    "The name is one of the interpreter's built-in modules: BuiltinImporter, first on "
    "sys.meta_path, finds it before any file is looked at.",
    "Lib/importlib/_bootstrap.py BuiltinImporter; sys.builtin_module_names")
R_FROZEN = rule(
    "which.frozen", "import",
    "The name is a frozen module of this binary, and frozen modules are in use: "
    "FrozenImporter, second on sys.meta_path, finds it before sys.path is searched.",
    "Lib/importlib/_bootstrap.py FrozenImporter; Python/import.c look_up_frozen (3.11+)")
R_FROZEN_OFF = rule(
    "which.frozen-off", "import",
    "The name is a frozen stdlib module, but frozen modules are off for this start "
    "(-X frozen_modules=off, PYTHON_FROZEN_MODULES=off or a debug build): the path is "
    "searched instead.",
    "Python/initconfig.c config_init_import (3.11+, bpo-45020; PYTHON_FROZEN_MODULES "
    "3.13+, gh-111374); Python/import.c use_frozen")
R_SKIP = rule(
    "which.entry-skipped", "import",
    "This search-path entry is neither a directory nor a zip archive (missing, a plain "
    "file, a broken link): no path hook accepts it, so it is skipped.",
    "Lib/importlib/_bootstrap_external.py PathFinder._path_hooks, FileFinder.path_hook")
R_ZIP = rule(
    "which.zip", "import",
    "This entry is a zip archive (or a directory inside one): zipimporter searches it for "
    "NAME/__init__.pyc, NAME/__init__.py, NAME.pyc, NAME.py, in that order.",
    "Lib/zipimport.py zipimporter, _zip_searchorder")
R_FOUND = rule(
    "which.found", "import",
    "The first entry holding a regular package or a module wins: a package (NAME/__init__.*) "
    "before a module file in the same directory; extension modules, then .py, then a "
    "sourceless .pyc.",
    "Lib/importlib/_bootstrap_external.py FileFinder.find_spec, _get_supported_file_loaders")
R_PORTION = rule(
    "which.namespace-portion", "import",
    "A directory NAME without __init__ is a namespace portion: it is remembered and the "
    "search goes on, because a regular package or module in a later entry still wins.",
    "PEP 420; Lib/importlib/_bootstrap_external.py PathFinder.find_spec")
R_NAMESPACE = rule(
    "which.namespace", "import",
    "No entry holds a regular package or module, but some hold portions: NAME is a "
    "namespace package whose __path__ is every portion, in search-path order.",
    "PEP 420; PathFinder.find_spec (namespace_path)")
R_SHADOWED = rule(
    "which.shadowed", "import",
    "A candidate found after the winner: it is hidden (shadowed) by the one that wins.",
    "Lib/importlib/_bootstrap_external.py PathFinder.find_spec (first regular spec wins)")
R_NOT_FOUND = rule(
    "which.not-found", "import",
    "No finder knows the name: importing it raises ModuleNotFoundError.",
    "Lib/importlib/_bootstrap.py _find_and_load_unlocked")
R_NOT_PACKAGE = rule(
    "which.parent-not-package", "import",
    "The parent of a dotted name is a module, not a package (it has no __path__): "
    "find_spec raises ModuleNotFoundError.",
    "Lib/importlib/util.py find_spec; Lib/importlib/_bootstrap.py _find_and_load_unlocked")
R_AT_STARTUP = rule(
    "which.imported-at-startup", "import",
    "The parent package was imported during start-up, before sys.path[0] was set and before "
    "site ran: its __path__ comes from the search path as getpath left it, not from the "
    "final sys.path.",
    "Python/pylifecycle.c init_fs_encoding (imports encodings)")
R_BAD_OPTION = rule(
    "which.bad-frozen-option", "import",
    "-X frozen_modules or PYTHON_FROZEN_MODULES has a value other than on or off: the "
    "interpreter refuses to start.",
    "Python/initconfig.c config_init_import")

IMPORTED_AT_STARTUP: Final = frozenset({"encodings"})
"""Packages every start imports before sys.path[0] and site: a dotted name below one is found
through the __path__ it got then."""

_BYTECODE: Final = ".pyc"
_SOURCE: Final = ".py"


@dataclass(frozen=True)
class Candidate:
    """Something a finder would return for the name."""

    kind: Kind
    origin: str | None
    """As find_spec reports it: 'built-in', 'frozen', a file path; None for a namespace."""
    locations: tuple[str, ...] | None = None
    """submodule_search_locations (a package's __path__); None for a plain module."""
    entry: str = ""
    """The search-path entry it was found through ('' for built-in and frozen)."""

    # Written out for the compiled build's speed (model/speedups.py).
    def __init__(self,
                 kind: Kind,
                 origin: str | None,
                 locations: tuple[str, ...] | None = None,
                 entry: str = "") -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "locations", locations)
        object.__setattr__(self, "entry", entry)


@dataclass(frozen=True)
class Resolution:
    """Where ``import name`` comes from, and what else was seen on the way."""

    name: str
    found: Candidate | None
    shadowed: tuple[Candidate, ...] = ()
    """Regular candidates after the winner (or namespace portions a winner passed over)."""
    skipped: tuple[str, ...] = ()
    """Search-path entries no finder accepts."""
    error: str = ""
    """Why nothing is found: '' (not found), or 'not a package', 'bad option' ..."""
    steps: tuple[Step, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "found": None if self.found is None else _candidate_json(self.found),
            "shadowed": [_candidate_json(c) for c in self.shadowed],
            "skipped": list(self.skipped),
            "error": self.error or None,
        }


def _candidate_json(candidate: Candidate) -> dict[str, object]:
    return {"kind": candidate.kind, "origin": candidate.origin,
            "submodule_search_locations": (None if candidate.locations is None
                                           else list(candidate.locations)),
            "entry": candidate.entry}


_FRESH_DICT: Final[dict[str, str]] = {}
"""A default that stands for a new empty dict (compared by identity, never filled): what
default_factory=dict does, in a written-out __init__."""


@dataclass(frozen=True)
class ImportContext:
    """What the import system of one started interpreter sees."""

    fs: FsView
    build: BuildConstants
    row: Behaviour
    path: tuple[str, ...]
    """sys.path after start-up."""
    cwd: str
    """The physical working directory (os.getcwd())."""
    stdlib_dir: str | None = None
    """sys._stdlib_dir (3.11+ frozen packages get their __path__ from it)."""
    xoptions: tuple[str, ...] = ()
    """The -X options, in order."""
    env: Mapping[str, str] = field(default_factory=dict)
    use_environment: bool = True
    startup_path: tuple[str, ...] | None = None
    """sys.path when start-up imported encodings (getpath's search path; None: ``path``)."""
    resolver: kernel.Resolver | None = field(default=None, compare=False, repr=False)
    """A resolver over ``fs`` from ``cwd`` to share (a prediction's own: what it already
    resolved, and each entry's finder, are not worked out again); None: a fresh one."""

    # Written out for the compiled build's speed (model/speedups.py).
    def __init__(self,
                 fs: FsView,
                 build: BuildConstants,
                 row: Behaviour,
                 path: tuple[str, ...],
                 cwd: str,
                 stdlib_dir: str | None = None,
                 xoptions: tuple[str, ...] = (),
                 env: Mapping[str, str] = _FRESH_DICT,
                 use_environment: bool = True,
                 startup_path: tuple[str, ...] | None = None,
                 resolver: kernel.Resolver | None = None) -> None:
        object.__setattr__(self, "fs", fs)
        object.__setattr__(self, "build", build)
        object.__setattr__(self, "row", row)
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "cwd", cwd)
        object.__setattr__(self, "stdlib_dir", stdlib_dir)
        object.__setattr__(self, "xoptions", xoptions)
        object.__setattr__(self, "env", {} if env is _FRESH_DICT else env)
        object.__setattr__(self, "use_environment", use_environment)
        object.__setattr__(self, "startup_path", startup_path)
        object.__setattr__(self, "resolver", resolver)

    def syscalls(self) -> kernel.Resolver:
        shared = self.resolver
        if shared is not None and shared.fs is self.fs and shared.cwd == self.cwd:
            return shared
        return kernel.Resolver(self.fs, self.cwd)


def which(context: ImportContext, name: str) -> Resolution:
    """Where ``import name`` would come from (find_spec's answer for a module not imported)."""
    steps: list[Step] = []
    frozen_on = _frozen_modules_on(context, steps)
    if frozen_on is None:
        return Resolution(name, None, error="bad option", steps=tuple(steps))
    return _resolve(context, name, frozen_on, steps)


def _resolve(context: ImportContext, name: str, frozen_on: bool, steps: list[Step],
             path: Sequence[str] | None = None) -> Resolution:
    parent, _, tail = name.rpartition(".")
    search: Sequence[str] = context.path if path is None else path
    if parent:
        top = parent.partition(".")[0]
        early = None
        if top in IMPORTED_AT_STARTUP and context.startup_path is not None:
            early = context.startup_path
            steps.append(Step.of(R_AT_STARTUP, "{module!r} searched in {path!r}", module=top,
                                 path=early))
        up = _resolve(context, parent, frozen_on, steps, early)
        if up.found is None:
            return Resolution(name, None, error=up.error or f"no module named {repr(parent)}",
                              steps=tuple(steps))
        if up.found.locations is None:
            steps.append(Step.of(R_NOT_PACKAGE, "{module!r} is a {kind} ({origin}), not a "
                                 "package", module=parent, kind=up.found.kind,
                                 origin=up.found.origin))
            return Resolution(name, None, error="not a package", steps=tuple(steps))
        search = up.found.locations
    meta = _builtin(context, name, steps) or _frozen(context, name, frozen_on, steps)
    if meta is not None:
        return Resolution(name, meta, steps=tuple(steps))
    return _search_path(context, name, tail, search, steps)


# -- -X frozen_modules -------------------------------------------------------------------------
def _frozen_modules_on(context: ImportContext, steps: list[Step]) -> bool | None:
    """config->use_frozen_modules (None: a bad value, the interpreter does not start)."""
    return _frozen_setting(context.row, context.build, context.env, context.use_environment,
                           context.xoptions, steps)


def _frozen_setting(row: Behaviour, build: BuildConstants, environ: Mapping[str, str],
                    use_environment: bool, xoptions: tuple[str, ...],
                    steps: list[Step]) -> bool | None:
    if not row.frozen_stdlib:
        return True  # 3.8-3.10: only the always-used bootstrap and test modules are frozen
    value = not build.debug
    env = environ.get("PYTHON_FROZEN_MODULES") if (
        row.frozen_modules_env and use_environment) else None
    if env:  # config_get_env: an empty value is unset
        if env not in ("on", "off"):
            steps.append(Step.of(R_BAD_OPTION, "PYTHON_FROZEN_MODULES={value!r}", row.name,
                                 value=env))
            return None
        value = env == "on"
    option = _xoption(xoptions, "frozen_modules")
    if option is not None:
        if option not in ("on", "off", ""):  # '-X frozen_modules' alone means on
            steps.append(Step.of(R_BAD_OPTION, "-X frozen_modules={value}", row.name,
                                 value=option))
            return None
        value = option != "off"
    return value


frozen_modules_on = _frozen_modules_on
"""config->use_frozen_modules for a context; None when the setting is a bad value."""


def _xoption(xoptions: tuple[str, ...], name: str) -> str | None:
    """_Py_get_xoption: the first option with that name; its text after '=' ('' if none)."""
    for option in xoptions:
        key, equals, value = option.partition("=")
        if key == name:
            return value if equals else ""
    return None


# -- meta path: built-in and frozen -------------------------------------------------------------
def _builtin(context: ImportContext, name: str, steps: list[Step]) -> Candidate | None:
    if name not in context.build.builtin_modules:
        return None
    steps.append(Step.of(R_BUILTIN, "{module!r}", module=name))
    return Candidate("built-in", "built-in")


def _frozen(context: ImportContext, name: str, frozen_on: bool,
            steps: list[Step]) -> Candidate | None:
    for frozen_name, original, is_package in context.build.frozen_modules:
        if frozen_name != name:
            continue
        if not frozen_on and name not in context.build.frozen_always:
            steps.append(Step.of(R_FROZEN_OFF, "{module!r}", context.row.name, module=name))
            return None
        steps.append(Step.of(R_FROZEN, "{module!r} (frozen as {original!r})", context.row.name,
                             module=name, original=original))
        locations = _frozen_locations(context, name, original) if is_package else None
        return Candidate("frozen", "frozen", locations)
    return None


def _frozen_locations(context: ImportContext, name: str, original: str) -> tuple[str, ...]:
    """A frozen package's __path__: empty before 3.11; from 3.11 the stdlib directory it was
    frozen from, when sys._stdlib_dir is known and it is not an alias of another module
    (FrozenImporter._resolve_filename)."""
    if not context.row.frozen_stdlib or not context.stdlib_dir:
        return ()
    if original.startswith("<"):
        original = original[1:]
    elif original != name:
        return ()
    return (f"{context.stdlib_dir}/{original.replace('.', '/')}",)


# -- the path finder ----------------------------------------------------------------------------
def _search_path(context: ImportContext, name: str, tail: str, search: Sequence[str],
                 steps: list[Step]) -> Resolution:
    resolver = context.syscalls()
    found: Candidate | None = None
    shadowed: list[Candidate] = []
    portions: list[Candidate] = []
    skipped: list[str] = []
    for entry in search:
        candidates = _entry_candidates(context, resolver, entry, tail, steps)
        if candidates is None:
            skipped.append(entry)
            steps.append(Step.of(R_SKIP, "{entry!r}", entry=entry))
            continue
        for candidate in candidates:
            if candidate.kind == "namespace":
                if found is None:
                    portions.append(candidate)
                    steps.append(Step.of(R_PORTION, "{locations!r}",
                                         locations=candidate.locations))
                else:
                    shadowed.append(candidate)
            elif found is None:
                found = candidate
                steps.append(Step.of(R_FOUND, "{module!r}: {kind} {origin!r} (entry {entry!r})",
                                     module=name, kind=candidate.kind, origin=candidate.origin,
                                     entry=entry))
            else:
                shadowed.append(candidate)
                steps.append(Step.of(R_SHADOWED, "{kind} {origin!r}", kind=candidate.kind,
                                     origin=candidate.origin))
    if found is not None:
        return Resolution(name, found, tuple(portions + shadowed), tuple(skipped),
                          steps=tuple(steps))
    if portions:
        locations = tuple(loc for p in portions for loc in p.locations or ())
        steps.append(Step.of(R_NAMESPACE, "{locations!r}", locations=locations))
        return Resolution(name, Candidate("namespace", None, locations, portions[0].entry),
                          (), tuple(skipped), steps=tuple(steps))
    steps.append(Step.of(R_NOT_FOUND, "{module!r}", module=name))
    return Resolution(name, None, (), tuple(skipped), steps=tuple(steps))


_Finder = tuple[str, tuple[str, ...], "tuple[str, str, frozenset[str]] | None"]
"""An entry's finder: FileFinder's path and the directory's names (sorted), or a zip
archive."""


def _entry_candidates(context: ImportContext, resolver: kernel.Resolver, entry: str,
                      tail: str, steps: list[Step] | None,
                      memo: dict[object, object] | None = None) -> Sequence[Candidate] | None:
    """What this entry's finder finds (in its order), or None when no hook accepts it
    (``steps`` None: no trace wanted).  Worked out once per resolver: a prediction asks for
    encodings in several checks, over mostly the same entries (``memo``: _memo's answer)."""
    if memo is None:
        memo = _memo(context, resolver)
    stored = memo.get(entry, _UNSET)
    if stored is _UNSET:
        stored = memo[entry] = _finder(context, resolver, entry)
    finder: _Finder | None = stored  # type: ignore[assignment]  # what was stored above
    if finder is None:
        return None
    directory, names, archive = finder
    if archive is not None and steps is not None:
        steps.append(Step.of(R_ZIP, "{entry!r}: archive {archive!r}", entry=entry,
                             archive=archive[0]))
    key = (entry, tail)
    known = memo.get(key)
    if known is None:
        if archive is not None:
            known = memo[key] = tuple(_zip_candidates(entry, archive, tail))
        else:
            known = memo[key] = tuple(
                _dir_candidates(context, resolver, entry, directory, tail, names))
    return known  # type: ignore[return-value]  # what was stored under this key


_UNSET: Final = object()


def _memo(context: ImportContext, resolver: kernel.Resolver) -> dict[object, object]:
    """The resolver's memory of finders (by entry) and of their candidates (by entry and
    name) for this context's working directory, row and suffixes."""
    key = ("import", context.cwd, context.row.import_abspath_strips_dot,
           context.build.extension_suffixes)
    memo = resolver.memo.get(key)
    if memo is None:
        memo = resolver.memo[key] = {}
    return memo  # type: ignore[return-value]  # what was stored under this key


def _finder(context: ImportContext, resolver: kernel.Resolver, entry: str) -> _Finder | None:
    """The finder sys.path_hooks give ``entry`` (None: no hook accepts it); the caller keeps
    it (PathFinder keeps one per entry in sys.path_importer_cache too)."""
    found, names = resolver.opendir(entry or context.cwd)  # '' is the working directory
    if names is not None:  # zipimporter, the first hook, refuses a directory: FileFinder
        return (_finder_path(context, entry), names, None)
    if entry:
        archive = _zip_archive(resolver, entry, found)
        if archive is not None:
            return ("", (), archive)
    return None


def _finder_path(context: ImportContext, entry: str) -> str:
    """FileFinder.path (_bootstrap_external FileFinder.__init__): the entry made absolute by
    joining it to the working directory (no normalisation); from 3.12 '.' is the working
    directory and ``_path_abspath`` drops one leading './'."""
    if not entry:
        return context.cwd
    if entry.startswith("/"):
        return entry
    if context.row.import_abspath_strips_dot:
        return context.cwd if entry == "." else path_abspath(entry, context.cwd)
    return path_join2(context.cwd, entry)


def _dir_candidates(context: ImportContext, resolver: kernel.Resolver, entry: str,
                    directory: str, tail: str, listing: tuple[str, ...]) -> list[Candidate]:
    """FileFinder.find_spec, listing every candidate instead of stopping at the first."""
    found: list[Candidate] = []
    names = with_prefix(listing, tail)  # every name that matters starts with tail
    if not names:
        return found
    suffixes = _meta_index(context.build)[2]
    namespace = False
    if tail in names:
        base = path_join2(directory, tail)
        for suffix in suffixes:
            init = path_join2(base, "__init__" + suffix)
            if _isfile(resolver, init):
                found.append(Candidate("package", init, (base,), entry))
                break
        else:
            namespace = _isdir(resolver, base)
    for suffix in suffixes:
        if tail + suffix in names:
            module = path_join2(directory, tail + suffix)
            if _isfile(resolver, module):
                found.append(Candidate(_file_kind(suffix), module, None, entry))
    if namespace and not found:
        found.append(Candidate("namespace", None, (base,), entry))
    return found


def _file_kind(suffix: str) -> Kind:
    if suffix == _SOURCE:
        return "module"
    return "bytecode" if suffix == _BYTECODE else "extension"


def _isfile(resolver: kernel.Resolver, path: str) -> bool:
    entry = resolver.stat(path)
    return entry is not None and entry.kind == "file"


def _isdir(resolver: kernel.Resolver, path: str) -> bool:
    entry = resolver.stat(path)
    return entry is not None and entry.kind == "dir"


# -- zipimport ----------------------------------------------------------------------------------
def _zip_archive(resolver: kernel.Resolver, entry: str, first: kernel.Lookup | None = None
                 ) -> tuple[str, str, frozenset[str]] | None:
    """zipimporter(entry): (archive path, prefix inside it, member names), or None when the
    entry is not in a readable zip archive (the longest leading part that exists must be a
    regular file holding a zip directory).  ``first``: the entry's own lookup, if made."""
    path, inner = entry, []
    while True:
        found = first if first is not None else resolver.lookup(path)
        first = None
        if found.entry is not None:
            break
        head, name = path_split(path)
        if head == path or not path:
            return None
        inner.append(name)
        path = head
    if found.entry.kind != "file" or found.path is None:
        return None
    names = zip_names(resolver.fs.read(found.path))
    if names is None:
        return None
    prefix = path_join(*reversed(inner))
    return path, (prefix + "/" if prefix else ""), names


def _zip_candidates(entry: str, archive: tuple[str, str, frozenset[str]],
                    tail: str) -> list[Candidate]:
    path, prefix, names = archive
    where = prefix + tail
    found: list[Candidate] = []
    for suffix, is_package in (("/__init__.pyc", True), ("/__init__.py", True),
                               (".pyc", False), (".py", False)):
        if where + suffix in names:
            origin = f"{path}/{where}{suffix}"
            kind: Kind = "zip-package" if is_package else "zip-module"
            found.append(Candidate(kind, origin, (f"{path}/{where}",) if is_package else None,
                                   entry))
    if not found and where + "/" in names:  # an explicit directory member: a portion
        found.append(Candidate("namespace", None, (f"{path}/{where}",), entry))
    return found


# Code site runs whose effect on the import system is known to be none (the well-known names
# of prefixlab.model.startup.sitecode): every other piece may add a finder to sys.meta_path.
_NO_FINDERS: Final = ("already imported", "virtualenv _virtualenv")


def finders_not_modelled(outcome: Outcome) -> tuple[CodeNotRun, ...]:
    """Code site would run (.pth import lines, sitecustomize, usercustomize) that may add
    finders to sys.meta_path, ahead of or after the ones modelled here: setuptools'
    distutils shim, editable-install finders, anything unknown."""
    return tuple(code for code in outcome.code_not_run if code.known_as not in _NO_FINDERS)


# -- the stdlib's own modules, or code the model does not run ----------------------------------
def context_of(calc: Calc, path: Sequence[str]) -> ImportContext:
    """The import context of a start being computed, searching ``path``."""
    inputs = calc.inputs
    return ImportContext(inputs.fs, inputs.build, inputs.row, tuple(path), calc.cwd,
                         calc.stdlib_dir, _xoptions_of(calc), inputs.env,
                         inputs.config.use_environment, resolver=calc.syscalls)


def _xoptions_of(calc: Calc) -> tuple[str, ...]:
    """The start's -X options, parsed once per prediction."""
    memo = calc.syscalls.memo
    key = ("xoptions", calc.inputs.argv)
    options = memo.get(key)
    if options is None:
        options = memo[key] = xoptions(calc.inputs.argv[1:])
    return options  # type: ignore[return-value]  # what was stored under this key


def builds_own(calc: Calc, names: Sequence[str]) -> bool:
    """Is each of ``names`` built in, or frozen with frozen modules in use, in the start being
    computed?  Then import takes none of them from sys.path, and not_from_stdlib would say
    None without a look at it (site asks this for the modules it imports, at every start)."""
    builtin, frozen, _ = _meta_index(calc.inputs.build)
    for name in names:
        if name not in builtin and name not in frozen:
            return False
    inputs = calc.inputs
    return _frozen_setting(inputs.row, inputs.build, inputs.env, inputs.config.use_environment,
                           _xoptions_of(calc), []) is True


def not_from_stdlib(context: ImportContext, names: Iterable[str], *,
                    missing: bool = True) -> tuple[str, Candidate | None] | None:
    """The first of ``names`` (top-level modules) that import would not take from the stdlib:
    (name, None) when it is found nowhere (unless ``missing`` is false: then such names are
    passed over), (name, candidate) when a copy comes from another entry than the one holding
    the encodings package.  Built-in and frozen modules are the build's own.  None when every
    name is the stdlib's."""
    frozen_on = _frozen_modules_on(context, [])
    resolver = context.syscalls()
    stdlib: Candidate | None | object = _UNSET  # found when first needed: most are frozen
    for name in names:
        found = _found(context, name, frozen_on, resolver)
        if found is None:
            if missing:
                return name, None
            continue
        if found.kind in ("built-in", "frozen"):
            continue
        if stdlib is _UNSET:
            stdlib = _found(context, "encodings", frozen_on, resolver)
        if not isinstance(stdlib, Candidate) or found.entry != stdlib.entry:
            return name, found
    return None


def _found(context: ImportContext, name: str, frozen_on: bool | None,
           resolver: kernel.Resolver) -> Candidate | None:
    """``which(context, name).found``, without the trace (not_from_stdlib asks for a dozen
    names per prediction and keeps only the winners)."""
    if frozen_on is None:
        return None  # a bad -X frozen_modules: which() finds nothing
    if "." in name:
        return _resolve(context, name, frozen_on, []).found
    build = context.build
    builtin, frozen, _ = _meta_index(build)
    if name in builtin:
        return Candidate("built-in", "built-in")
    known = frozen.get(name)
    if known is not None and (frozen_on or name in build.frozen_always):
        original, is_package = known
        locations = _frozen_locations(context, name, original) if is_package else None
        return Candidate("frozen", "frozen", locations)
    portions: list[Candidate] = []
    memo = _memo(context, resolver)
    for entry in context.path:
        for candidate in _entry_candidates(context, resolver, entry, name, None, memo) or ():
            if candidate.kind != "namespace":
                return candidate
            portions.append(candidate)
    if portions:
        locations = tuple(loc for p in portions for loc in p.locations or ())
        return Candidate("namespace", None, locations, portions[0].entry)
    return None


_MetaIndex = tuple[frozenset[str], dict[str, tuple[str, bool]], tuple[str, ...]]
_META_INDEX: Final[dict[int, tuple[BuildConstants, _MetaIndex]]] = {}


def _meta_index(build: BuildConstants) -> _MetaIndex:
    """A build's built-in names as a set, its frozen modules by name (the first entry of a
    name, the one FrozenImporter finds) and FileFinder's suffixes in order, made once per
    build (a few are in use at a time)."""
    known = _META_INDEX.get(id(build))
    if known is None or known[0] is not build:
        frozen: dict[str, tuple[str, bool]] = {}
        for name, original, is_package in build.frozen_modules:
            frozen.setdefault(name, (original, is_package))
        if len(_META_INDEX) >= 64:
            _META_INDEX.clear()
        index = (frozenset(build.builtin_modules), frozen,
                 (*build.extension_suffixes, _SOURCE, _BYTECODE))
        known = _META_INDEX[id(build)] = (build, index)
    return known[1]


# -- from a predicted start ---------------------------------------------------------------------
def context_for(world: World, outcome: Outcome) -> ImportContext | None:
    """The import context of a predicted start that succeeded (None otherwise)."""
    invocation = outcome.invocation
    if outcome.status != "ok":
        return None
    cwd = kernel.realpath(world.fs, invocation.cwd)
    target = exec_target(world.fs, invocation, cwd if isinstance(cwd, str) else "/")
    build = world.builds.get(target) if isinstance(target, str) else None
    if build is None or not isinstance(cwd, str):
        return None
    row = behaviour_for(build.version)
    line = cmdline.parse(invocation.argv[1:], row)
    config = cmdline.startup_config(line, invocation.environ, row)
    return ImportContext(world.fs, build, row, outcome.path, cwd, outcome.stdlib_dir,
                         xoptions(invocation.argv[1:]), invocation.environ,
                         config.use_environment, _startup_path(world, outcome))


def _startup_path(world: World, outcome: Outcome) -> tuple[str, ...]:
    """getpath's search path, as the prediction recorded it before site ran (a start
    without -S is not enough: a ._pth 'import site' runs site all the same)."""
    return outcome.module_search_paths or outcome.path


def xoptions(args: Sequence[str]) -> tuple[str, ...]:
    """The values of -X options on the interpreter's command line, in order (option parsing
    stops at -c, -m, '-', '--' or the first argument that is not an option)."""
    found: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("-") or arg in ("-", "--"):
            break
        if arg.startswith("--"):
            i += 2 if arg == "--check-hash-based-pycs" else 1
            continue
        for j in range(1, len(arg)):
            if arg[j] not in "cmWX":
                continue
            value = arg[j + 1:]
            if not value:
                i += 1
                value = args[i] if i < len(args) else ""
            if arg[j] in "cm":
                return tuple(found)
            if arg[j] == "X":
                found.append(value)
            break
        i += 1
    return tuple(found)
