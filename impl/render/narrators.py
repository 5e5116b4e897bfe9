"""The prose for each rule: a narrator per rule, reading the step's values by name.

A narrator is registered for the :class:`~prefixlab.model.trace.Rule` objects it tells
(``@narrates(R_CFG_FOUND)``) and reads what the step recorded with :func:`text` and
:func:`texts`, which name the value: a narrator asking for a value its rule's steps do not
record is a bug (tests/impl/render/test_explain.py narrates every step of generated cases).
It may return None to leave a step to the generic wording (the rule's summary and the
step's detail), as when a value it needs was never set.  Besides the step, a narrator sees
the outcome, the rules that fired and the layout (:class:`Ctx`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from prefixlab.impl.render.lookup import exec_path, exists, first_line, is_link
from prefixlab.impl.render.text import code
from prefixlab.model.outcome import Outcome
from prefixlab.model.paths import getpath as h
from prefixlab.model.startup import predict as startup
from prefixlab.model.startup import site
from prefixlab.model.startup.getpath import (base_executable, executable, home, prefix, pth,
                                             searchpath, venv)
from prefixlab.model.trace import Rule, Step
from prefixlab.model.world import kernel
from prefixlab.model.world.fs import FsView


class Ctx:
    """What a narrator may look at besides its step (a plain class: see narrate.Item)."""

    __slots__ = ("outcome", "fs", "fired", "row", "c_getpath")

    def __init__(self, outcome: Outcome, fs: FsView | None, fired: frozenset[Rule], row: str,
                 c_getpath: bool) -> None:
        self.outcome = outcome
        self.fs = fs
        """The layout the outcome was predicted in (None: the trace alone)."""
        self.fired = fired
        self.row = row
        self.c_getpath = c_getpath
        """Does the row run getpath.c (3.8-3.10) rather than getpath.py?"""

    def first(self, rule: Rule) -> Step | None:
        """The first step of ``rule`` in the trace."""
        for step in self.outcome.trace.steps:
            if step.rule == rule:
                return step
        return None


def text(step: Step, name: str) -> str:
    """The str value ``name`` of ``step`` (KeyError: the step does not record it)."""
    value = step.values[name]
    if not isinstance(value, str):
        raise TypeError(f"{step.rule.id}: {name} = {value!r} is not a str")
    return value


def texts(step: Step, name: str) -> list[str]:
    """The sequence of str ``name`` of ``step``."""
    value = step.values[name]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{step.rule.id}: {name} = {value!r} is not a sequence of str")
    return list(value)


Narrator = Callable[[Step, Ctx], "str | None"]
NARRATORS: dict[Rule, Narrator] = {}


def narrates(*rules: Rule) -> Callable[[Narrator], Narrator]:
    def register(function: Narrator) -> Narrator:
        for rule in rules:
            NARRATORS[rule] = function
        return function
    return register


# -- exec ----------------------------------------------------------------------------------------
@narrates(startup.R_EXEC)
def _exec(step: Step, ctx: Ctx) -> str:
    inv = ctx.outcome.invocation
    target = text(step, "target")
    if any(rule.id.startswith("chain.") for rule in ctx.fired):
        # Through a chain the interpreter is reached by the last program of the chain.
        return (f"At the end of that chain the kernel executes {code(text(step, 'program'))}, "
                f"which is {code(target)}, a CPython {ctx.outcome.version} binary; every later "
                f"step follows the {ctx.row} row of the behaviour table.")
    said = f"You ran {code(inv.program)}"
    if inv.argv0 != inv.program:
        said += f" with argv[0] set to {code(inv.argv0)}"
    said += ". "
    used, links = exec_path(ctx.fs, inv)
    if "/" not in inv.program and used:
        said += (f"The name has no '/', so execvp looked it up on $PATH and found "
                 f"{code(used)}. ")
    if links:
        chain = "; ".join(f"{code(link)} → {code(to)}" for link, to in links)
        said += f"That is a symbolic link, followed by the kernel ({chain}), so the file "
    else:
        said += "The file "
    said += (f"executed is {code(target)}, a CPython {ctx.outcome.version} binary; every "
             f"later step follows the {ctx.row} row of the behaviour table.")
    return said


_ERRNO_MEANS = {
    "ENOENT": "there is no such file (or a directory on the way is missing)",
    "EACCES": "it is not an executable regular file (or not searchable)",
    "ENOTDIR": "a component on the way is not a directory",
    "ELOOP": "resolving it meets too many symbolic links (a loop)",
}


@narrates(startup.R_EXEC_FAILED)
def _exec_failed(step: Step, ctx: Ctx) -> str:
    errno = text(step, "errno")
    return (f"The kernel cannot execute {code(text(step, 'program'))}: "
            f"{_ERRNO_MEANS.get(errno, errno)} ({errno}).")


@narrates(startup.R_NOT_INTERPRETER)
def _not_modelled(step: Step, ctx: Ctx) -> str:
    target = text(step, "target")
    said = f"{code(ctx.outcome.invocation.program)} leads to {code(target)}, "
    first = first_line(ctx.fs, target)
    if first.startswith("#!"):
        said += (f"a script (it starts with {code(first)}), such as a pyenv shim or a "
                 "wrapper. ")
    else:
        said += "which is not a CPython binary the model knows. "
    return said + ("What it goes on to run is not modelled yet, so there is no prediction. "
                   "Explain the interpreter binary itself instead (`prefixlab explain` with no "
                   "PROGRAM asks python3 on PATH which binary that is).")


# -- the executable --------------------------------------------------------------------------
@narrates(executable.R_PROGRAM_ARGV0)
def _program_name(step: Step, ctx: Ctx) -> str:
    return (f"The interpreter starts from what it was given as argv[0], "
            f"{code(text(step, 'program_name'))}: that is its program name, the only clue it "
            "has to where it lives.")


@narrates(executable.R_EXE_ABSPATH)
def _exe_slash(step: Step, ctx: Ctx) -> str:
    exe = text(step, "executable")
    if ctx.c_getpath:
        how = "made absolute against the working directory (not normalised)"
    else:
        how = (f"normalised and, if relative, joined to the working directory "
               f"{code(text(step, 'cwd'))}")
    said = (f"argv[0] contains a '/', so sys.executable is argv[0] {how}: {code(exe)}. "
            "Nothing on disk is consulted for this.")
    if is_link(ctx.fs, exe, ctx.outcome.invocation.cwd):
        said += (f" {code(exe)} is a symbolic link, and it is not resolved: sys.executable "
                 "names the link, not the file it points to.")
    return said


@narrates(executable.R_EXE_PATH_SEARCH)
def _exe_path(step: Step, ctx: Ctx) -> str:
    entry, found = text(step, "entry"), text(step, "executable")
    said = (f"argv[0] has no '/', so the interpreter searches $PATH itself: the first entry "
            f"holding an executable file of that name is {code(entry)}, so sys.executable is "
            f"{code(found)}")
    if not found.startswith("/"):
        said += " (relative, because the PATH entry is: it is kept as joined)"
    return said + "."


@narrates(executable.R_ARGV0_LINKS)
def _argv0_links(step: Step, ctx: Ctx) -> str:
    return (f"{code(text(step, 'executable'))} is a symbolic link: getpath.c follows it to "
            f"{code(text(step, 'resolved'))} before anything else, so every later search "
            "starts from the real file's directory.")


@narrates(executable.R_ARGV0_DIR)
def _argv0_dir(step: Step, ctx: Ctx) -> str:
    return (f"The directory of the (resolved) executable, {code(text(step, 'argv0_path'))}, "
            "is argv0_path: where pyvenv.cfg is looked for and the upward searches start.")


@narrates(base_executable.R_REAL_EXE)
def _real_exe(step: Step, ctx: Ctx) -> str:
    before, after = text(step, "executable"), text(step, "real_executable")
    if before == after:
        said = f"{code(before)} is not a symbolic link: it is the real executable."
    else:
        said = (f"Following {code(before)}'s symbolic links (the last component, as often as "
                f"needed) gives the real executable {code(after)}.")
    said += " Next to it getpath looks for build-tree markers and a ._pth file"
    if not ctx.fired & {venv.R_CFG_HOME, home.R_HOME_ENV, pth.R_PTH_FOUND}:
        said += (f"; and, as no pyvenv.cfg home was given, the search for the standard "
                 f"library starts from its directory {code(h.dirname(after))}")
    return said + "."


@narrates(base_executable.R_BASE_IS_EXE)
def _base_same(step: Step, ctx: Ctx) -> str:
    return ("No venv home was found, so sys._base_executable is sys.executable itself: "
            f"{code(text(step, 'base_executable'))}.")


# -- home and the venv ---------------------------------------------------------------------------
@narrates(home.R_HOME_ENV)
def _pythonhome(step: Step, ctx: Ctx) -> str:
    return (f"PYTHONHOME is set to {code(text(step, 'home'))}. It is believed without "
            "checking: the text before the first ':' is the prefix, the text after it (or the "
            "same) exec_prefix.")


@narrates(home.R_HOME_IGNORED)
def _home_ignored(step: Step, ctx: Ctx) -> str:
    return (f"PYTHONHOME is set ({code(text(step, 'home'))}) but -E or -I tells the "
            "interpreter to ignore PYTHON* variables, so it plays no part.")


@narrates(venv.R_CFG_SKIPPED_HOME)
def _cfg_skipped(step: Step, ctx: Ctx) -> str:
    return (f"Because home is already set ({code(text(step, 'home'))}), getpath does not "
            "look for pyvenv.cfg at all on this version.")


@narrates(venv.R_CFG_FOUND)
def _cfg_found(step: Step, ctx: Ctx) -> str:
    path = text(step, "file")
    where = ("in the directory of the resolved executable, then one level up"
             if ctx.c_getpath else
             "one level above the executable's directory, then in that directory itself")
    return (f"Next, getpath looks for a virtual environment's pyvenv.cfg, {where}. It finds "
            f"{code(path)}: this interpreter runs as part of the virtual environment "
            f"{code(h.dirname(path))}.")


@narrates(venv.R_CFG_NONE)
def _cfg_none(step: Step, ctx: Ctx) -> str:
    directory = code(text(step, "directory"))
    # getpath.c names argv0_path and looks in its parent; getpath.py names both.
    places = (f"{directory} and its parent" if ctx.c_getpath
              else f"{code(text(step, 'parent'))} and {directory}")
    said = (f"Next, getpath looks for a virtual environment's pyvenv.cfg in {places}: there "
            "is none, so this is not a virtual environment as far as start-up is concerned.")
    unseen = _unseen_cfg(ctx)
    if ctx.c_getpath and unseen:
        said += (f" Yet {code(unseen)} exists next to the executable as invoked: 3.8-3.10 "
                 "look for pyvenv.cfg only after following the executable's links, so getpath "
                 "does not see it (site.py does, when it runs).")
    return said


@narrates(venv.R_CFG_HOME)
def _cfg_home(step: Step, ctx: Ctx) -> str:
    return (f"pyvenv.cfg's home key says {code(text(step, 'home'))}: the directory of the base "
            "interpreter the venv was made from. From now on the search for the standard "
            "library starts there, not in the venv.")


@narrates(venv.R_BASE_REALPATH)
def _base_realpath(step: Step, ctx: Ctx) -> str:
    return (f"In a venv, sys._base_executable is where the executable's chain of symbolic "
            f"links ends: {code(text(step, 'executable'))} leads to "
            f"{code(text(step, 'base_executable'))}.")


@narrates(venv.R_BASE_HOME)
def _base_home(step: Step, ctx: Ctx) -> str:
    base = text(step, "base_executable")
    said = (f"The venv's executable is not a link, so sys._base_executable is home joined with "
            f"the executable's name: {code(base)}")
    if exists(ctx.fs, base) is False:
        said += " (which does not exist)"
    return said + "."


# -- the prefixes --------------------------------------------------------------------------------
@narrates(prefix.R_HOME_SPLIT)
def _prefix_home(step: Step, ctx: Ctx) -> str:
    if ctx.c_getpath:
        return (f"With home set, getpath.c takes the standard library to be "
                f"{code(text(step, 'stdlib'))} without searching or checking.")
    return (f"With home set, there is no search: sys.prefix is {code(text(step, 'prefix'))} "
            f"and sys.exec_prefix {code(text(step, 'exec_prefix'))}, whether or not anything "
            "is there.")


@narrates(prefix.R_LANDMARK)
def _os_landmark(step: Step, ctx: Ctx) -> str:
    start = text(step, "start")
    why = start_reason(ctx)
    if ctx.c_getpath:
        found = text(step, "stdlib")
        value = ctx.outcome.prefix or h.reduce(h.reduce(found))
        return (f"Now the standard library. getpath.c walks up from {code(start)} ({why}), "
                f"testing each directory for lib/pythonX.Y/os.py, and finds it in "
                f"{code(found)}. sys.prefix is that directory with its last two components "
                f"cut off: {code(value)}.")
    found = text(step, "prefix")
    landmark = _found_landmark(ctx, found, ("/os.py", "/os.pyc"))
    tested = _walk(start, found)
    said = (f"Now the standard library. getpath walks up from {code(start)} ({why}), testing "
            "each directory for the landmark "
            f"{code(landmark[len(found) + 1:] if landmark else 'lib/pythonX.Y/os.py')}")
    if len(tested) > 1:
        said += "; " + ", ".join(code(d) for d in tested[:-1])
        said += " does not hold it" if len(tested) == 2 else " do not hold it"
    said += f"; {code(found)} does"
    if landmark:
        said += f" ({code(landmark)})"
    return said + (f". So sys.prefix is {code(found)}, kept exactly as the string that was "
                   "tested (links in it are not resolved).")


@narrates(prefix.R_SEARCH_FAILED)
def _search_failed(step: Step, ctx: Ctx) -> str | None:
    searched = texts(step, "searched")
    if not searched:
        return None
    return (f"Walking up from {code(searched[0])} ({start_reason(ctx)}), no directory holds "
            f"the standard library's landmark: {', '.join(code(d) for d in searched)} "
            f"{'was' if len(searched) == 1 else 'were'} tested ('/' itself never is).")


@narrates(prefix.R_PREFIX_MACRO)
def _prefix_macro(step: Step, ctx: Ctx) -> str:
    value = text(step, "stdlib" if ctx.c_getpath else "prefix")
    said = ("No directory on the way up holds the standard library, so getpath falls back to "
            f"the PREFIX compiled into the binary: {code(value)}")
    if any(w.startswith("Could not find platform independent") for w in ctx.outcome.warnings):
        said += (". It does not hold the standard library either, hence the warning "
                 "'Could not find platform independent libraries <prefix>'")
    if venv.R_CFG_HOME in ctx.fired:
        cfg_home = ctx.first(venv.R_CFG_HOME)
        said += (f". The search started at pyvenv.cfg's home"
                 f"{' ' + code(text(cfg_home, 'home')) if cfg_home else ''}: a home that is "
                 "not the base installation's own bin directory (say, a directory of links to "
                 "it) ends here")
    return said + "."


@narrates(prefix.R_EXEC_MACRO)
def _exec_macro(step: Step, ctx: Ctx) -> str:
    said = ("Likewise no directory on the way up holds the extension modules' directory "
            "lib-dynload, so sys.exec_prefix falls back to the compiled-in EXEC_PREFIX")
    if ctx.c_getpath:
        return said + (f": the extension modules are looked for in "
                       f"{code(text(step, 'dynload'))}.")
    return said + f": {code(text(step, 'exec_prefix'))}."


@narrates(prefix.R_EXEC_IS_PREFIX)
def _exec_same(step: Step, ctx: Ctx) -> str:
    return ("Nothing gave sys.exec_prefix a value of its own, so it is sys.prefix: "
            f"{code(text(step, 'prefix'))}.")


@narrates(prefix.R_EXEC_LANDMARK)
def _dynload(step: Step, ctx: Ctx) -> str:
    start = text(step, "start")
    if ctx.c_getpath:
        found = text(step, "dynload")
        value = ctx.outcome.exec_prefix or h.reduce(h.reduce(h.reduce(found)))
        return (f"The same walk from {code(start)} for the compiled extension modules finds "
                f"{code(found)}; sys.exec_prefix is three levels up: {code(value)}.")
    return (f"The same walk from {code(start)}, this time for the directory of compiled "
            f"extension modules (lib/pythonX.Y/lib-dynload), stops at "
            f"{code(text(step, 'exec_prefix'))}: that is sys.exec_prefix.")


# -- the module search path ----------------------------------------------------------------------
@narrates(searchpath.R_ZIP_ENTRY)
def _zip(step: Step, ctx: Ctx) -> str:
    path = text(step, "entry")
    said = (f"The module search path gets the standard library's zip archive {code(path)}, "
            "listed whether or not it exists")
    if exists(ctx.fs, path) is False:
        said += " (here it does not)"
    return said + "."


@narrates(searchpath.R_STDLIB_ENTRY)
def _stdlib(step: Step, ctx: Ctx) -> str | None:
    stdlib, dynload = step.values["stdlib_dir"], step.values["platstdlib_dir"]
    if not isinstance(stdlib, str) or not isinstance(dynload, str):
        return None  # one was never set: the detail says which
    return (f"Then the standard library directory {code(stdlib)} and the extension-module "
            f"directory {code(dynload)}.")


@narrates(startup.R_STDLIB_MISSING)
def _no_stdlib(step: Step, ctx: Ctx) -> str:
    where = ", ".join(code(p) for p in texts(step, "searched")) or "the search path"
    return ("Before any code runs, the interpreter imports the encodings package from the "
            f"module search path ({where}). None of those entries holds it, so start-up "
            "fails: 'failed to get the Python codec of the filesystem encoding'.")


@narrates(searchpath.R_PATH0_NONE)
def _path0_none(step: Step, ctx: Ctx) -> str:
    why = "-I" if ctx.c_getpath else "-P, -I or PYTHONSAFEPATH"
    return (f"Nothing is put in front of sys.path ({why} is in effect): the directory of the "
            "script, or the current directory, is not searched for imports.")


@narrates(searchpath.R_PATH0_C)
def _path0_c(step: Step, ctx: Ctx) -> str:
    return ("The code is run with -c (or read from stdin), so sys.path[0] is '': the current "
            "directory, looked up at each import.")


@narrates(searchpath.R_PATH0_SCRIPT)
def _path0_script(step: Step, ctx: Ctx) -> str:
    return (f"A script runs, so sys.path[0] is the directory of its real path (links "
            f"resolved): {code(text(step, 'script'))} gives {code(text(step, 'directory'))}.")


@narrates(searchpath.R_PATH0_M)
def _path0_m(step: Step, ctx: Ctx) -> str:
    return (f"-m runs a module, so sys.path[0] is the working directory as getcwd() returns "
            f"it (physical): {code(text(step, 'cwd'))}.")


# -- site ----------------------------------------------------------------------------------------
@narrates(site.R_SITE_VENV)
def _site_venv(step: Step, ctx: Ctx) -> str:
    base = ctx.outcome.base_prefix
    return ("There is no -S, so the interpreter imports site, whose venv() looks for "
            "pyvenv.cfg next to sys.executable and one directory up (by the path as written, "
            f"not following links). It finds {code(text(step, 'file'))} and makes sys.prefix "
            "and sys.exec_prefix the executable directory's parent, "
            f"{code(text(step, 'prefix'))}"
            + (f"; sys.base_prefix stays {code(base)}, the installation getpath found."
               if base else "."))


@narrates(site.R_SITE_SYSTEM_SITE)
def _site_system(step: Step, ctx: Ctx) -> str:
    value = text(step, "system_site")
    if value == "true":
        return ("pyvenv.cfg's include-system-site-packages is 'true' (or missing), so the base "
                "installation's site-packages stay on the list of prefixes to search, after "
                "the venv's own, and the user site may be added.")
    return (f"pyvenv.cfg's include-system-site-packages is {code(value)}: anything but 'true' "
            "(after lower-casing) leaves the venv on its own, so neither the base "
            "installation's site-packages nor the user site are added.")


@narrates(site.R_USER_SITE_OFF)
def _site_user_off(step: Step, ctx: Ctx) -> str:
    # site's ENABLE_USER_SITE: None for a set-uid or set-gid process, False when told so.
    why = ("the process runs set-uid or set-gid" if step.values["enable_user_site"] is None
           else "-s, -I or PYTHONNOUSERSITE asks so, or the venv keeps no system site-packages")
    return f"site leaves the user site out: {why}."


@narrates(site.R_USER_SITE)
def _site_user(step: Step, ctx: Ctx) -> str:
    where = text(step, "user_site")
    if step.values["present"]:
        return (f"The user site is {code(where)} (from PYTHONUSERBASE, else ~/.local under "
                "HOME or the account's home); it is a directory, so site adds it and reads "
                "its .pth files.")
    return (f"The user site would be {code(where)} (from PYTHONUSERBASE, else ~/.local under "
            "HOME or the account's home); it is not a directory, so nothing is added.")


@narrates(site.R_SITE_DIRS)
def _site_packages(step: Step, ctx: Ctx) -> str:
    listed = ", ".join(code(p) for p in texts(step, "candidates")) or "none"
    present = texts(step, "present")
    if not present:
        return f"site looks for site-packages directories: {listed}; none of them exists."
    kept = ", ".join(code(p) for p in present)
    return (f"site looks for site-packages directories: {listed}. Those that exist are added "
            f"in that order: {kept}.")


@narrates(site.R_SITEDIR)
def _site_addsitedir(step: Step, ctx: Ctx) -> str:
    return (f"{code(text(step, 'sitedir'))} is appended to sys.path, and its .pth files are "
            "read in sorted order.")


_PTH_OUTCOME = {
    "appended": "exists and is new, so it is appended to sys.path",
    "already on sys.path": "is already on sys.path, so it is not added again",
    "does not exist": "does not exist, so it is skipped",
}


@narrates(site.R_PTH_PATH)
def _site_pth_path(step: Step, ctx: Ctx) -> str:
    where = f"{text(step, 'file')}:{step.values['line']}"
    return (f"Line {code(where)} names a directory (joined to the site directory and "
            f"normalised): {code(text(step, 'directory'))}, which "
            f"{_PTH_OUTCOME[text(step, 'outcome')]}.")


@narrates(site.R_SITE_NO_VENV)
def _site_no_venv(step: Step, ctx: Ctx) -> str:
    return (f"There is no -S, so the interpreter imports site, whose venv() finds no "
            f"pyvenv.cfg in {code(text(step, 'directory'))} and "
            f"{code(text(step, 'parent'))}: the prefixes stay as getpath left them.")


# -- shared --------------------------------------------------------------------------------------
def start_reason(ctx: Ctx) -> str:
    """Why the search for the standard library starts where it does."""
    if venv.R_CFG_HOME in ctx.fired:
        return "pyvenv.cfg's home"
    if executable.R_EXE_LAUNCHER in ctx.fired:
        return "the launcher variable's directory"
    if ctx.c_getpath:
        return "argv0_path"
    if executable.R_EXE_NOT_FOUND in ctx.fired:
        return "the working directory, as no executable was found"
    return "the real executable's directory"


def _walk(start: str, end: str) -> list[str]:
    """search_up's candidates from ``start`` up to ``end`` (lexical dirname)."""
    tested: list[str] = []
    current = start
    while current and len(tested) < 4096:
        tested.append(current)
        if current == end:
            return tested
        current = h.dirname(current)
    return [start, end]


def _found_landmark(ctx: Ctx, directory: str, suffixes: Sequence[str]) -> str:
    for probe in ctx.outcome.trace.probes:
        if (probe.result == "file" and probe.path.startswith(directory + "/")
                and probe.path.endswith(tuple(suffixes))):
            return probe.path
    return ""


def _unseen_cfg(ctx: Ctx) -> str:
    """A pyvenv.cfg beside the executable as invoked (or one level up), if there is one."""
    exe = ctx.outcome.executable or ""
    if ctx.fs is None or not exe.startswith("/"):
        return ""
    directory = h.dirname(exe)
    for candidate in (f"{directory}/pyvenv.cfg", f"{h.dirname(directory)}/pyvenv.cfg"):
        entry = kernel.lookup(ctx.fs, candidate).entry
        if entry is not None and entry.kind == "file":
            return candidate
    return ""
