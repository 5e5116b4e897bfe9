"""Stage: site.py's main() — what importing site does to the prefixes and sys.path.

In CPython's order (Lib/site.py main(), 3.8-3.14): removeduppaths() makes every entry absolute
and drops duplicates; venv() finds a pyvenv.cfg next to sys.executable or one directory up,
makes sys.prefix and sys.exec_prefix the venv (3.8-3.13; 3.14's getpath already did) and adds
the venv's site-packages; the user site is added unless disabled; then the site-packages of
every prefix in PREFIXES.  Each site directory's .pth files add more entries.  Code that site
would run (.pth import lines, sitecustomize, usercustomize) is listed, never run
(prefixlab.model.startup.sitecode).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from prefixlab.model import errors
from prefixlab.model.speedups import dataclass, field
from prefixlab.model.world import kernel
from prefixlab.model.startup import sitecode
from prefixlab.model.startup import sitepaths
from prefixlab.model.startup import sitepth
from prefixlab.model.world.account import Account
from prefixlab.model.world.fs import with_prefix
# site.py's os.path is posixpath, not getpath's helpers; the names say which dialect.
from prefixlab.model.paths.posix import (
    abspath as posix_abspath, dirname as posix_dirname, join as posix_join)
from prefixlab.model.startup.getpath.context import Calc, StartupFailed
from prefixlab.model.startup.sitecode import CodeNotRun
from prefixlab.model.trace import rule
from prefixlab.model.startup import imports
from prefixlab.model.speedups import FRESH_LIST, FRESH_SET

R_SITE_VENV = rule(
    "site.venv", "site",
    "site.py finds a pyvenv.cfg next to sys.executable (or one directory up) and makes "
    "sys.prefix and sys.exec_prefix the executable directory's parent; base_prefix stays the "
    "installation getpath found.",
    "Lib/site.py venv() (3.8-3.13; 3.14 leaves it to getpath, gh-126985)")
R_SITE_VENV_FOUND = rule(
    "site.venv-found", "site",
    "site.py finds a pyvenv.cfg next to sys.executable (or one directory up): a virtual "
    "environment, whose prefix getpath has already set.",
    "Lib/site.py venv() (3.14, gh-126985)")
R_SITE_NO_VENV = rule(
    "site.no-venv", "site",
    "site.py finds no pyvenv.cfg next to sys.executable or one directory up: not a venv.",
    "Lib/site.py venv()")
R_SITE_SYSTEM_SITE = rule(
    "site.system-site", "site",
    "pyvenv.cfg's include-system-site-packages (last one wins, lower-cased, missing means "
    "'true'): only the exact value 'true' keeps the base installation's site-packages and "
    "the user site; anything else leaves only the venv's.",
    "Lib/site.py venv()")
R_SITE_PATHS = rule(
    "site.removeduppaths", "site",
    "site.py makes every sys.path entry absolute (os.path.abspath: joined to the working "
    "directory and normalised) and drops later duplicates.",
    "Lib/site.py removeduppaths() and makepath()")
R_SITE_CFG_UNDECODABLE = rule(
    "site.cfg-undecodable", "site",
    "site.py reads pyvenv.cfg as strict UTF-8; invalid bytes make importing site fail, and "
    "start-up with it.",
    "Lib/site.py venv(): open(virtual_conf, encoding='utf-8')")
R_USER_SITE_OFF = rule(
    "site.user-site-disabled", "site",
    "The user site is not added: -s, -I or PYTHONNOUSERSITE, a venv without system "
    "site-packages, or a set-uid/set-gid process.",
    "Lib/site.py check_enableusersite(), venv()")
R_USER_SITE = rule(
    "site.user-site", "site",
    "The user site is the user base (PYTHONUSERBASE, else ~/.local with HOME or the account's "
    "home) plus lib/pythonX.Y/site-packages; it is added when it is a directory.",
    "Lib/site.py _getuserbase(), _get_path(), addusersitepackages()")
R_SITE_DIRS = rule(
    "site.site-packages", "site",
    "The site-packages directories of each prefix (lib/pythonX.Y/site-packages, for "
    "PLATLIBDIR and lib; Debian's dist-packages directories on Debian's build); those that "
    "are directories are added in order.",
    "Lib/site.py getsitepackages(), addsitepackages(); Debian python3.X site.py patch")
R_SITEDIR = rule(
    "site.addsitedir", "site",
    "A site directory is appended to sys.path (unless already there) and its .pth files are "
    "read in sorted order.",
    "Lib/site.py addsitedir()")
R_PTH_HIDDEN = rule(
    "site.pth-hidden", "site",
    ".pth files whose names start with '.' are skipped.",
    "Lib/site.py addsitedir() (gh-113659: 3.8.19, 3.9.19, 3.10.14, 3.11.8, 3.12.2, 3.13)")
R_PTH_PATH = rule(
    "site.pth-path", "site",
    "A .pth line that is not a comment, blank or an import: the line (right-stripped) joined "
    "to the site directory and made absolute is appended when it exists and is not yet on "
    "sys.path.",
    "Lib/site.py addpackage()")
R_PTH_QUIET = rule(
    "site.pth-lines-counted", "site",
    "A long .pth file: after the first 20 of its lines naming a directory that is already on "
    "sys.path or does not exist, such lines (which change nothing) are counted, not listed "
    "one by one.  Every line that appends a directory is listed.",
    "Lib/site.py addpackage()")
R_PTH_IMPORTS_QUIET = rule(
    "site.pth-imports-counted", "site",
    "A long .pth file: after its first 20 import lines, the rest are counted, not listed one "
    "by one; when any of them could change something they are listed together as one piece "
    "of code not run that could change any field.",
    "Lib/site.py addpackage()")
R_PTH_IMPORT = rule(
    "site.pth-import", "site",
    "A .pth line starting with 'import ' or 'import\\t' is executed by site; the model lists "
    "it and does not run it.",
    "Lib/site.py addpackage()")
R_PTH_UNDECODABLE = rule(
    "site.pth-undecodable", "site",
    "A .pth file that cannot be decoded makes the import of site fail: the error escapes "
    "addpackage, and start-up fails.",
    "Lib/site.py addpackage() (3.8-3.12 locale text file; 3.13 utf-8-sig then the locale "
    "encoding, gh-77102)")
R_PTH_IMPORT_FAILS = rule(
    "site.pth-import-fails", "site",
    "A .pth import line whose first statement imports a module that exists nowhere: "
    "exec() raises ModuleNotFoundError, site reports 'Error processing line N of FILE' with "
    "the traceback and ignores the rest of the file.",
    "Lib/site.py addpackage()")
R_CUSTOMIZE = rule(
    "site.customize", "site",
    "site imports sitecustomize (and usercustomize when the user site is enabled) if sys.path "
    "has it; the model lists the module and does not run it.",
    "Lib/site.py execsitecustomize(), execusercustomize()")


R_SITE_MODULE_MISSING = rule(
    "site.module-missing", "site",
    "A module importing site loads is neither frozen nor on sys.path: importing site fails, "
    "and start-up with it.",
    "Lib/site.py imports; Python/pylifecycle.c init_import_site")
R_SITE_SHADOWED = rule(
    "site.module-shadowed", "site",
    "A module importing site loads (os, stat, site itself, ...) is found on sys.path ahead of "
    "the stdlib's copy: that copy's code runs, and the model does not run code.",
    "Lib/site.py imports; frozen from 3.11 (bpo-45020)")


R_NIX_PATH = rule(
    "site.nix-pythonpath", "site",
    "nixpkgs' sitecustomize adds each NIX_PYTHONPATH directory as a site directory (its .pth "
    "files read), after every site-packages directory.",
    "nixpkgs pkgs/development/interpreters/python/sitecustomize.py")
R_NIX_IN_VENV = rule(
    "site.nix-in-venv", "site",
    "nixpkgs' sitecustomize leaves sys.executable and sys.prefix alone inside a venv "
    "(sys.prefix != sys.base_prefix).",
    "nixpkgs pkgs/development/interpreters/python/sitecustomize.py")
R_NIX_EXECUTABLE = rule(
    "site.nix-executable", "site",
    "nixpkgs' sitecustomize sets sys.executable and sys._base_executable to "
    "NIX_PYTHONEXECUTABLE (unless PYTHONEXECUTABLE is set).",
    "nixpkgs pkgs/development/interpreters/python/sitecustomize.py")
R_NIX_PREFIX = rule(
    "site.nix-prefix", "site",
    "nixpkgs' sitecustomize sets sys.prefix and sys.exec_prefix to NIX_PYTHONPREFIX, not "
    "sys.base_prefix: the environment then looks like a venv (nixpkgs #66366).",
    "nixpkgs pkgs/development/interpreters/python/sitecustomize.py")


class NotModelled(errors.NotModelled):
    """site would do something the model cannot decide (an unknown locale encoding)."""



@dataclass
class SiteRun:
    """site.py's module state while main() runs."""

    calc: Calc
    env: Mapping[str, str]
    account: Account
    known: set[str] = field(default_factory=set)
    prefixes: list[str] = field(default_factory=list)
    enable_user_site: bool | None = None
    not_run: list[CodeNotRun] = field(default_factory=list)
    finder_checked: int = 0
    """How many of not_run _import_fails has looked at (a .pth may hold millions of import
    lines: each is looked at once)."""
    finder_possible: bool = False
    """Has code not run possibly added an import finder?"""

    # Written out for the compiled build's speed (model/speedups.py).
    def __init__(self,
                 calc: Calc,
                 env: Mapping[str, str],
                 account: Account,
                 known: set[str] = FRESH_SET,
                 prefixes: list[str] = FRESH_LIST,
                 enable_user_site: bool | None = None,
                 not_run: list[CodeNotRun] = FRESH_LIST,
                 finder_checked: int = 0,
                 finder_possible: bool = False) -> None:
        self.calc = calc
        self.env = env
        self.account = account
        self.known = set() if known is FRESH_SET else known
        self.prefixes = [] if prefixes is FRESH_LIST else prefixes
        self.enable_user_site = enable_user_site
        self.not_run = [] if not_run is FRESH_LIST else not_run
        self.finder_checked = finder_checked
        self.finder_possible = finder_possible


def main(calc: Calc, env: Mapping[str, str], account: Account) -> tuple[CodeNotRun, ...]:
    """Run site.main() on the calculation; return the code site would run."""
    run = SiteRun(calc, env, account)
    _check_site_modules(calc)
    removeduppaths(calc)
    run.known = set(calc.module_search_paths)
    run.prefixes = [calc.prefix or "", calc.exec_prefix or ""]
    venv(run)
    if run.enable_user_site is None:
        run.enable_user_site = _check_enableusersite(run)
    _add_user_site(run)
    _add_site_packages(run, run.prefixes)
    _customize(run, "sitecustomize")
    if run.enable_user_site:
        _customize(run, "usercustomize")
    return tuple(run.not_run)


def _check_site_modules(calc: Calc) -> None:
    """The modules importing site loads must be the stdlib's (frozen, or found in the entry
    that holds the encodings package); another copy earlier on sys.path is code the model does
    not run (a decoy os.py on PYTHONPATH breaks site on 3.8-3.10)."""
    if calc.ask("frozen_stdlib") and not calc.inputs.build.frozen_modules:
        # Constants made by hand (no learned frozen list): the standard set frozen from 3.11
        # (Tools/build/freeze_modules.py) holds every module site imports.
        return
    names = calc.ask("site_imports")
    if imports.builds_own(calc, names):
        return
    odd = imports.not_from_stdlib(imports.context_of(calc, calc.module_search_paths), names)
    if odd is None:
        return
    name, found = odd
    if found is None:  # ModuleNotFoundError: importing site fails, and start-up with it
        calc.step(R_SITE_MODULE_MISSING, "{module}", versioned=True, module=name)
        raise StartupFailed("site-error", "init_import_site: Failed to import the site module")
    calc.step(R_SITE_SHADOWED, "{module} from {origin!r}", versioned=True, module=name,
              origin=found.origin)
    raise NotModelled(f"site would import {name} from {found.origin}, not the stdlib's copy: "
                      "code the model does not run")


def removeduppaths(calc: Calc) -> None:
    """site.removeduppaths(): absolute entries, first occurrence kept (POSIX normcase is the
    identity)."""
    seen: set[str] = set()
    kept: list[str] = []
    for entry in calc.module_search_paths:
        absolute = posix_abspath(entry, calc.cwd)
        if absolute not in seen:
            seen.add(absolute)
            kept.append(absolute)
    if kept != calc.module_search_paths:
        calc.step(R_SITE_PATHS, "{before!r} -> {after!r}", before=calc.module_search_paths,
                  after=kept)
    calc.module_search_paths = kept


def venv(run: SiteRun) -> None:
    """site.venv(): find pyvenv.cfg, switch the prefixes (before 3.14), add the venv's
    site-packages first, and keep or drop the system site-packages."""
    calc = run.calc
    exe_dir = posix_dirname(posix_abspath(calc.executable or "", calc.cwd))
    site_prefix = posix_dirname(exe_dir)
    for candidate in (posix_join(exe_dir, "pyvenv.cfg"), posix_join(site_prefix, "pyvenv.cfg")):
        if calc.isfile(candidate):
            break
    else:
        calc.step(R_SITE_NO_VENV, "looked in {directory!r} and {parent!r}", directory=exe_dir,
                  parent=site_prefix)
        return
    system_site = _system_site(calc, candidate)
    if calc.ask("site_sets_venv_prefix"):
        calc.base_prefix = calc.base_prefix or calc.prefix
        calc.base_exec_prefix = calc.base_exec_prefix or calc.exec_prefix
        calc.prefix = calc.exec_prefix = site_prefix
        calc.step(R_SITE_VENV, "{file!r}: sys.prefix = sys.exec_prefix = {prefix!r}",
                  versioned=True, file=candidate, prefix=site_prefix)
    else:
        calc.step(R_SITE_VENV_FOUND, "{file!r}", versioned=True, file=candidate)
        _warn_unexpected_prefixes(calc, site_prefix)
    _add_site_packages(run, [calc.prefix or ""])
    if system_site == "true" and calc.ask("site_appends_base_prefixes"):
        run.prefixes += [calc.base_prefix or calc.prefix or "",
                         calc.base_exec_prefix or calc.exec_prefix or ""]
    elif system_site == "true":
        run.prefixes.insert(0, calc.prefix or "")
    else:
        run.prefixes = [calc.prefix or ""]
        run.enable_user_site = False
    calc.step(R_SITE_SYSTEM_SITE, "include-system-site-packages = {system_site!r}",
              system_site=system_site)


def _warn_unexpected_prefixes(calc: Calc, site_prefix: str) -> None:
    """3.14: site checks getpath's answer against the venv it found (gh-126985)."""
    line = calc.ask("site_venv_prefix_warning")
    if line is None:
        return
    for name, value in (("sys.prefix", calc.prefix), ("sys.exec_prefix", calc.exec_prefix)):
        if value != site_prefix:
            calc.warn(f"<frozen site>:{line}: RuntimeWarning: Unexpected value in {name}, "
                      f"expected {site_prefix}, got {value}")


def _system_site(calc: Calc, cfg: str) -> str:
    """The lower-cased value of the last include-system-site-packages line ('true' if none);
    pyvenv.cfg is read as strict UTF-8 text, a line at a time.  A home line sets sys._home
    (the last one wins; Lib/site.py venv(), 3.8-3.13 alike)."""
    data = calc.read_bytes(cfg)
    if not isinstance(data, bytes):
        data = b""
    lines = sitepth.read_lines(data, "locale-text", "utf-8")
    if lines.error:
        calc.step(R_SITE_CFG_UNDECODABLE, "{file!r}", file=cfg)
        raise StartupFailed("site-error", "init_import_site: Failed to import the site module")
    value = "true"
    for line in lines:
        if "=" in line:
            key, _, rest = line.partition("=")
            key = key.strip().lower()
            if key == "include-system-site-packages":
                value = rest.strip().lower()
            elif key == "home":
                calc.sys_home = rest.strip()
    return value


def _check_enableusersite(run: SiteRun) -> bool | None:
    """False for -s/-I/PYTHONNOUSERSITE; None (also off) for a set-uid or set-gid process."""
    if not run.calc.inputs.config.user_site:
        return False
    if run.account.set_id:
        return None
    return True


def _add_user_site(run: SiteRun) -> None:
    calc = run.calc
    if not run.enable_user_site:
        calc.step(R_USER_SITE_OFF, "ENABLE_USER_SITE = {enable_user_site!r}",
                  enable_user_site=run.enable_user_site)
        return
    base = sitepaths.user_base(run.env, run.account)
    user_site = sitepaths.user_site(base, calc.inputs.build, calc.inputs.row)
    present = calc.isdir(user_site)
    calc.step(R_USER_SITE, "{user_site!r} (a directory)" if present
              else "{user_site!r} (not a directory)", user_site=user_site, present=present)
    if present:
        addsitedir(run, user_site)


def _add_site_packages(run: SiteRun, prefixes: list[str]) -> None:
    calc = run.calc
    base_prefix = calc.base_prefix or calc.prefix
    dirs = sitepaths.site_packages(
        prefixes, calc.inputs.build, calc.inputs.row, _platlibdir(calc),
        in_venv=base_prefix != calc.prefix)
    present = [d for d in dirs if calc.isdir(d)]
    calc.step(R_SITE_DIRS, "{candidates!r}: present {present!r}", candidates=dirs,
              present=present)
    for directory in present:
        addsitedir(run, directory)


def _platlibdir(calc: Calc) -> str:
    """sys.platlibdir: PYTHONPLATLIBDIR if used, else the build's PLATLIBDIR."""
    return calc.inputs.config.platlibdir or calc.inputs.build.platlibdir


def addsitedir(run: SiteRun, sitedir: str) -> bool:
    """site.addsitedir(sitedir, known_paths); False when the directory cannot be listed
    (site returns None then)."""
    calc = run.calc
    sitedir = posix_abspath(sitedir, calc.cwd)
    if sitedir not in run.known:
        calc.module_search_paths.append(sitedir)
        run.known.add(sitedir)
        calc.step(R_SITEDIR, "{sitedir!r} appended", sitedir=sitedir)
    names = _listdir(calc, sitedir)
    if names is None:
        return False
    pth = [name for name in names if name.endswith(".pth")]
    if calc.ask("pth_skips_dot_names"):
        hidden = [name for name in pth if name.startswith(".")]
        if hidden:
            calc.step(R_PTH_HIDDEN, "{names!r} in {sitedir!r}", versioned=True, names=hidden,
                      sitedir=sitedir)
        pth = [name for name in pth if not name.startswith(".")]
    for name in sorted(pth):
        addpackage(run, sitedir, name)
    return True


def _listdir(calc: Calc, directory: str) -> tuple[str, ...] | None:
    """os.listdir; None for an error (missing, not a directory)."""
    return calc.syscalls.listdir(directory)


def addpackage(run: SiteRun, sitedir: str, name: str) -> None:
    """site.addpackage(): one .pth file's lines, in order."""
    calc = run.calc
    fullname = posix_join(sitedir, name)
    data = calc.read_bytes(fullname)
    if isinstance(data, kernel.Errno):  # open() failed (a dangling link, a directory)
        return
    encoding = sitepth.locale_encoding(run.env, calc.inputs.config.use_environment)
    lines = sitepth.read_lines(data, calc.ask("pth_reader"), encoding)
    if lines.unknown_encoding:
        raise NotModelled(f"{fullname}: not ASCII, and the locale's encoding is not known")
    if lines.error:
        calc.step(R_PTH_UNDECODABLE, "{file!r}: {error}", versioned=True, file=fullname,
                  error=lines.error)
        raise StartupFailed("site-error", "init_import_site: Failed to import the site module")
    quiet = _Quiet(fullname)
    for number, line in enumerate(lines, 1):
        if line.startswith("#") or line.strip() == "":
            continue
        if line.startswith(("import ", "import\t")):
            if _import_fails(run, line):
                quiet.close(run)
                calc.step(R_PTH_IMPORT_FAILS, "{file}:{line}: {code!r}", file=fullname,
                          line=number, code=line.rstrip())
                calc.warn(f"Error processing line {number:d} of {fullname}:")
                calc.warn("Remainder of file ignored")
                return
            code = sitecode.pth_import(fullname, number, line)
            if quiet.counts_import(number, code):
                # A counted line that may add a finder counts for _import_fails as well.
                run.finder_possible = run.finder_possible or quiet.import_effect
                continue
            run.not_run.append(code)
            calc.step(R_PTH_IMPORT, "{file}:{line}: {code!r} ({known_as}: changes nothing "
                      "predicted)" if code.known_as else
                      "{file}:{line}: {code!r} (not run; it could change any field)",
                      file=fullname, line=number, code=code.text, known_as=code.known_as)
            continue
        _pth_path(run, sitedir, fullname, number, line.rstrip(), quiet)
    quiet.close(run)


class _Quiet:
    """The lines of one .pth file that change nothing (already on sys.path, or missing),
    past the first _LISTED of them: counted for one step instead of a step each (a .pth file
    may have millions of lines; site reads them all)."""

    __slots__ = ("file", "listed", "already", "missing", "first", "last", "imports_listed",
                 "imports", "import_first", "import_last", "import_effect")

    def __init__(self, file: str) -> None:
        self.file = file
        self.listed = self.already = self.missing = self.first = self.last = 0
        self.imports_listed = self.imports = self.import_first = self.import_last = 0
        self.import_effect = False
        """Could a counted import line change a field or add a finder?"""

    def counts_import(self, number: int, code: CodeNotRun) -> bool:
        """Is this import line counted here rather than listed (past the first _LISTED of
        the file)?"""
        if self.imports_listed < _LISTED:
            self.imports_listed += 1
            return False
        self.imports += 1
        self.import_first = self.import_first or number
        self.import_last = number
        self.import_effect = self.import_effect or bool(
            code.may_change) or code.known_as not in _NO_FINDER
        return True

    def counts(self, number: int, outcome: str) -> bool:
        """Is this line counted here rather than given its own step?"""
        if self.listed < _LISTED:
            self.listed += 1
            return False
        if outcome == "already on sys.path":
            self.already += 1
        else:
            self.missing += 1
        self.first = self.first or number
        self.last = number
        return True

    def close(self, run: SiteRun) -> None:
        """The one step for each kind of line counted (none when there are none); counted
        import lines that could change something are listed as one piece of code not run
        that could change any field."""
        calc = run.calc
        if self.imports:
            text = (f"{self.imports} more import lines, lines {self.import_first} to "
                    f"{self.import_last}")
            if self.import_effect:
                run.not_run.append(CodeNotRun("pth-import", self.file, self.import_first,
                                              text))
            calc.step(R_PTH_IMPORTS_QUIET, "{file}: {code} ({effect})", file=self.file,
                      code=text, effect="not run; they could change any field"
                      if self.import_effect else "known pieces that change nothing predicted")
            self.imports = 0
        if self.already or self.missing:
            calc.step(R_PTH_QUIET, "{file}: {lines} more lines from line {first} to {last} "
                      "change nothing ({already} already on sys.path, {missing} do not exist)",
                      file=self.file, lines=self.already + self.missing, first=self.first,
                      last=self.last, already=self.already, missing=self.missing)
            self.already = self.missing = 0


_LISTED = 20
"""How many lines of a .pth file that change nothing get a step each."""


_FIRST_IMPORT = re.compile(r"import[ \t]+([A-Za-z_][\w.]*)[ \t]*(?:[;,#\r\n]|$)")


def _import_fails(run: SiteRun, line: str) -> bool:
    """Does the line's first statement import a module that exists nowhere (no built-in,
    frozen module or sys.path entry has it), so that exec() raises ModuleNotFoundError
    before any code runs?  Only when no earlier code could have added a finder."""
    match = _FIRST_IMPORT.match(line)
    if match is None or _finder_possible(run):
        return False
    context = imports.context_of(run.calc, run.calc.module_search_paths)
    top = match.group(1).partition(".")[0]
    resolution = imports.which(context, top)
    return resolution.found is None and not resolution.error


def _finder_possible(run: SiteRun) -> bool:
    """Could code not run so far have added a finder (one not known to add none)?  Each
    entry is looked at once; the answer, once yes, stays yes."""
    if not run.finder_possible:
        added = run.not_run[run.finder_checked:]
        run.finder_possible = any(code.known_as not in _NO_FINDER for code in added)
        run.finder_checked = len(run.not_run)
    return run.finder_possible


# Well-known .pth lines whose code adds no finder that could serve another name.
_NO_FINDER = ("already imported", "virtualenv _virtualenv")


def _pth_path(run: SiteRun, sitedir: str, fullname: str, number: int, line: str,
              quiet: _Quiet) -> None:
    calc = run.calc
    directory = posix_abspath(posix_join(sitedir, line), calc.cwd)
    if directory in run.known:
        if not quiet.counts(number, "already on sys.path"):
            _pth_path_step(calc, fullname, number, directory, "already on sys.path")
        return
    if "\0" in directory or calc.syscalls.lookup(directory).entry is None:
        if not quiet.counts(number, "does not exist"):
            _pth_path_step(calc, fullname, number, directory, "does not exist")
        return
    calc.module_search_paths.append(directory)
    run.known.add(directory)
    _pth_path_step(calc, fullname, number, directory, "appended")


def _pth_path_step(calc: Calc, fullname: str, number: int, directory: str, outcome: str) -> None:
    """A .pth line naming a directory: its ``outcome`` is 'appended', 'already on sys.path'
    or 'does not exist'."""
    calc.step(R_PTH_PATH, "{file}:{line}: {directory!r} {outcome}", file=fullname, line=number,
              directory=directory, outcome=outcome)


def _customize(run: SiteRun, module: str) -> None:
    """Is ``module`` importable from sys.path as site imports it (a regular module or
    package, first entry wins)?  Listed when it is; its code is not run."""
    calc = run.calc
    for entry in calc.module_search_paths:
        found = _regular_module(calc, entry, module)
        if found:
            data = calc.read_bytes(found)
            code = sitecode.customize(module, found,  # type: ignore[arg-type]
                                      data if isinstance(data, bytes) else b"")
            run.not_run.append(code)
            if code.known_as == sitecode.NIX_SITECUSTOMIZE:
                calc.step(R_CUSTOMIZE,
                          "{module} is {file!r}: nixpkgs' sitecustomize, whose effect is "
                          "modelled", module=module, file=found)
                _nix_sitecustomize(run)
            else:
                calc.step(R_CUSTOMIZE, "{module} is {file!r}: not run; it could change any "
                          "field", module=module, file=found)
            return


def _regular_module(calc: Calc, entry: str, module: str) -> str | None:
    """The file importing ``module`` from ``entry`` loads: a package's __init__, an extension,
    a source or a bytecode file (None: nothing there)."""
    # Every name that matters starts with the module's; the resolver lists each entry once
    # (sitecustomize and usercustomize are looked for in the same ones).
    names = with_prefix(_listdir(calc, entry or ".") or (), module)
    if not names:
        return None
    if module in names:
        package = posix_join(posix_join(entry, module), "__init__")
        for suffix in (".py", ".pyc"):
            if _is_file(calc, package + suffix):
                return package + suffix
    stem = module + "."
    for name in names:
        if name.startswith(stem) and name.endswith(".so") and _is_file(
                calc, posix_join(entry, name)):
            return posix_join(entry, name)
    for suffix in (".py", ".pyc"):
        if module + suffix in names and _is_file(calc, posix_join(entry, module + suffix)):
            return posix_join(entry, module + suffix)
    return None


def _is_file(calc: Calc, path: str) -> bool:
    """importlib's _path_isfile (Lib/importlib/_bootstrap_external.py, FileFinder.find_spec):
    stat, links followed, names a regular file; a FIFO, a device, a directory or a dangling
    link of a module's name is passed over (never opened)."""
    found = calc.syscalls.lookup(path).entry
    return found is not None and found.kind == "file"


def _nix_sitecustomize(run: SiteRun) -> None:
    """What nixpkgs' interpreter sitecustomize does (NixOS/nixpkgs
    pkgs/development/interpreters/python/sitecustomize.py, as of commit 08a3497b, installed
    by cpython/default.nix into the interpreter's site-packages): NIX_PYTHONPATH's
    directories become site directories (site.addsitedir with the known paths threaded
    through, so a directory that cannot be listed resets them);
    outside a venv NIX_PYTHONEXECUTABLE becomes sys.executable and sys._base_executable
    (unless PYTHONEXECUTABLE is set) and NIX_PYTHONPREFIX sys.prefix and sys.exec_prefix;
    sys.base_prefix stays (nixpkgs #66366)."""
    calc, env = run.calc, run.env
    paths = env.get("NIX_PYTHONPATH")
    if paths:
        known: set[str] | None = _init_pathinfo(calc)
        for directory in paths.split(":"):
            known = _addsitedir_with(run, directory, known)
        calc.step(R_NIX_PATH, "NIX_PYTHONPATH={nix_pythonpath!r}", nix_pythonpath=paths)
    if (calc.base_prefix or calc.prefix) != calc.prefix:
        calc.step(R_NIX_IN_VENV, "sys.prefix {prefix!r} is not sys.base_prefix",
                  prefix=calc.prefix)
        return
    executable = env.get("NIX_PYTHONEXECUTABLE")
    prefix = env.get("NIX_PYTHONPREFIX")
    if "PYTHONEXECUTABLE" not in env and executable is not None:
        calc.executable = calc.base_executable = executable
        calc.step(R_NIX_EXECUTABLE, "sys.executable = {executable!r}", executable=executable)
    if prefix is not None:
        calc.base_prefix = calc.base_prefix or calc.prefix
        calc.base_exec_prefix = calc.base_exec_prefix or calc.exec_prefix
        calc.prefix = calc.exec_prefix = prefix
        calc.step(R_NIX_PREFIX, "sys.prefix = sys.exec_prefix = {prefix!r}", prefix=prefix)


def _init_pathinfo(calc: Calc) -> set[str]:
    """site._init_pathinfo(): the absolute form of every sys.path entry that exists."""
    return {posix_abspath(entry, calc.cwd) for entry in calc.module_search_paths
            if entry and calc.syscalls.lookup(entry).entry is not None}


def _addsitedir_with(run: SiteRun, sitedir: str, known: set[str] | None) -> set[str] | None:
    """site.addsitedir(sitedir, known): with None it starts from _init_pathinfo() and returns
    None; it also returns None when the directory cannot be listed."""
    saved = run.known
    run.known = _init_pathinfo(run.calc) if known is None else known
    listed = addsitedir(run, sitedir)
    result = run.known if known is not None and listed else None
    run.known = saved
    return result
