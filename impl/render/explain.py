"""The trace as prose: numbered steps a newcomer can follow, each naming its rule, the
behaviour-table row in force and the source the rule comes from; and the text renderings the
CLI shares (results, comparisons), plain for pipes and rich for terminals.

The prose is written per rule (see ``NARRATORS``) from the step's quoted values, the probes
and the layout itself; a rule without a narrator, or a detail a narrator cannot read, falls
back to the rule's own summary and the detail as the model wrote it, so nothing is dropped.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from prefixlab.model.paths import getpath as h
from prefixlab.model.world import kernel
from prefixlab.model.world.build import TABLE
from prefixlab.model.world.fs import FsView
from prefixlab.model.world.invocation import DEFAULT_EXEC_PATH
from prefixlab.model.outcome import FIELDS, SCHEMA, Outcome
from prefixlab.model.startup.schemes import KEYS as INSTALL_KEYS
from prefixlab.model.trace import RULES, Step

if TYPE_CHECKING:
    from prefixlab.impl.render import graph as layout

CODE = "\0"
"""Delimits code spans (paths, names) inside prose; no path can hold a NUL."""

LABELS = {name: ("sys._base_executable" if name == "base_executable" else f"sys.{name}")
          for name in (*FIELDS, "path")}


def show(text: str) -> str:
    """A path for text output: undecodable bytes (lone surrogates from surrogateescape) as
    \\xNN, as `ls -b` writes them; everything else as is."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")


def code(value: str) -> str:
    return f"{CODE}{show(value) if value else chr(39) * 2}{CODE}"


# -- the explanation ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One numbered step."""

    rule: str
    row: str
    versioned: bool
    text: str
    source: str
    detail: str

    @property
    def citation(self) -> str:
        row = f"row {self.row}" if self.row else "no row (the interpreter never started)"
        if self.versioned:
            row += " (this behaviour differs between rows)"
        return f"rule {self.rule} · {row} · source: {self.source}"


@dataclass(frozen=True)
class Explanation:
    title: str
    asked: tuple[tuple[str, str], ...]
    items: tuple[Item, ...]
    result: tuple[tuple[str, str], ...]
    summary: tuple[str, ...]
    mermaid: str | None = None
    preface: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "preface": [plain(p) for p in self.preface],
            "steps": [{"n": n, "rule": i.rule, "stage": RULES[i.rule].stage
                       if i.rule in RULES else "", "row": i.row, "versioned": i.versioned,
                       "text": plain(i.text), "source": i.source, "detail": i.detail}
                      for n, i in enumerate(self.items, 1)],
            "summary": [plain(s) for s in self.summary],
            "mermaid": self.mermaid,
        }


@dataclass(frozen=True)
class _Ctx:
    outcome: Outcome
    fs: FsView | None
    fired: frozenset[str]
    row: str
    c_getpath: bool
    notes: list[str] = field(default_factory=list)

    def quoted(self, rule: str) -> list[str]:
        for step in self.outcome.trace.steps:
            if step.rule == rule:
                return quoted(step.detail)
        return []


def explain(outcome: Outcome, fs: FsView | None = None, *, graph: bool = False,
            preface: Sequence[str] = ()) -> Explanation:
    """Explain ``outcome`` (a prediction); ``fs`` is the world it was predicted in (for link
    chains, what exists, and the graph)."""
    trace = outcome.trace
    ctx = _Ctx(outcome, fs, frozenset(trace.rules()), trace.row,
               _is_c_getpath(trace.row))
    items = tuple(_item(step, ctx) for step in trace.steps)
    return Explanation(
        title=f"prefixlab explain: {command_line(outcome)}",
        asked=tuple(_asked(outcome)),
        items=items,
        result=tuple(result_rows(outcome)),
        summary=tuple(_summary(ctx)),
        mermaid=mermaid(outcome, fs) if graph and fs is not None else None,
        preface=tuple(preface))


def command_line(outcome: Outcome) -> str:
    inv = outcome.invocation
    return " ".join(show(a) if a and " " not in a else repr(a)
                    for a in (inv.program, *inv.argv[1:]))


def _is_c_getpath(row: str) -> bool:
    return any(r.name == row and r.arrangement == "c-getpath" for _, r in TABLE)


def _asked(outcome: Outcome) -> Iterable[tuple[str, str]]:
    inv = outcome.invocation
    yield "program", show(inv.program)
    yield "argv", "[" + ", ".join(repr(show(a)) for a in inv.argv) + "]"
    yield "cwd", show(inv.cwd)
    env = inv.environ
    python = sorted(k for k in env if k.startswith("PYTHON") or k == "__PYVENV_LAUNCHER__")
    shown = [f"PATH={show(env['PATH'])}" if "PATH" in env else "PATH unset"]
    shown += [f"{k}={show(env[k])}" for k in python]
    if not python:
        shown.append("no PYTHON* variables")
    yield "env", f"{len(env)} variables; " + "; ".join(shown)
    if outcome.version:
        row = outcome.trace.row
        yield "interpreter", f"CPython {outcome.version}" + (
            f", behaviour-table row {row}" if row else "")


def _item(step: Step, ctx: _Ctx) -> Item:
    rule = RULES.get(step.rule)
    narrator = NARRATORS.get(step.rule)
    text = None
    if narrator is not None:
        try:
            text = narrator(step, quoted(step.detail), ctx)
        except (IndexError, ValueError, KeyError):
            text = None  # a detail this narrator cannot read: say it the generic way
    if text is None:
        summary = rule.summary if rule else f"(unregistered rule {step.rule})"
        text = summary + (f" Here: {CODE}{show(step.detail)}{CODE}." if step.detail else "")
    return Item(step.rule, step.row or ctx.row, bool(step.row), text,
                rule.source if rule else "unknown", step.detail)


_STRING = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\"""")


def quoted(detail: str) -> list[str]:
    """The string literals (Python reprs) in a step's detail, in order."""
    values = []
    for literal in _STRING.findall(detail):
        try:
            value = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, str):
            values.append(value)
    return values


# -- narrators ----------------------------------------------------------------------------------
Narrator = Callable[[Step, list[str], _Ctx], "str | None"]
NARRATORS: dict[str, Narrator] = {}


def narrates(*rules: str) -> Callable[[Narrator], Narrator]:
    def register(function: Narrator) -> Narrator:
        for rule in rules:
            NARRATORS[rule] = function
        return function
    return register


@narrates("exec.interpreter")
def _exec(step: Step, q: list[str], ctx: _Ctx) -> str:
    inv = ctx.outcome.invocation
    target = q[1]
    if any(rule.startswith("chain.") for rule in ctx.fired):
        # Through a chain the interpreter is reached by the last program of the chain.
        return (f"At the end of that chain the kernel executes {code(q[0])}, which is "
                f"{code(target)}, a CPython {ctx.outcome.version} binary; every later step "
                f"follows the {ctx.row} row of the behaviour table.")
    text = f"You ran {code(inv.program)}"
    if inv.argv0 != inv.program:
        text += f" with argv[0] set to {code(inv.argv0)}"
    text += ". "
    used, links = _exec_path(ctx.fs, inv)
    if "/" not in inv.program and used:
        text += (f"The name has no '/', so execvp looked it up on $PATH and found "
                 f"{code(used)}. ")
    if links:
        chain = "; ".join(f"{code(link)} → {code(to)}" for link, to in links)
        text += f"That is a symbolic link, followed by the kernel ({chain}), so the file "
    else:
        text += "The file "
    text += (f"executed is {code(target)}, a CPython {ctx.outcome.version} binary; every "
             f"later step follows the {ctx.row} row of the behaviour table.")
    return text


@narrates("exec.failed")
def _exec_failed(step: Step, q: list[str], ctx: _Ctx) -> str:
    errno = step.detail.rpartition(": ")[2]
    why = {"ENOENT": "there is no such file (or a directory on the way is missing)",
           "EACCES": "it is not an executable regular file (or not searchable)",
           "ENOTDIR": "a component on the way is not a directory",
           "ELOOP": "resolving it meets too many symbolic links (a loop)"}.get(errno, errno)
    return f"The kernel cannot execute {code(q[0])}: {why} ({errno})."


@narrates("exec.not-modelled")
def _not_modelled(step: Step, q: list[str], ctx: _Ctx) -> str:
    target = q[0]
    text = f"{code(ctx.outcome.invocation.program)} leads to {code(target)}, "
    first = _first_line(ctx.fs, target)
    if first.startswith("#!"):
        text += (f"a script (it starts with {code(first)}), such as a pyenv shim or a "
                 "wrapper. ")
    else:
        text += "which is not a CPython binary the model knows. "
    return text + ("What it goes on to run is not modelled yet, so there is no prediction. "
                   "Explain the interpreter binary itself instead (`prefixlab explain` with no "
                   "PROGRAM asks python3 on PATH which binary that is).")


@narrates("program_name.argv0")
def _program_name(step: Step, q: list[str], ctx: _Ctx) -> str:
    return (f"The interpreter starts from what it was given as argv[0], {code(q[0])}: that "
            "is its program name, the only clue it has to where it lives.")


@narrates("executable.argv0-with-slash")
def _exe_slash(step: Step, q: list[str], ctx: _Ctx) -> str:
    exe = q[1]
    if ctx.c_getpath:
        how = "made absolute against the working directory (not normalised)"
    else:
        how = (f"normalised and, if relative, joined to the working directory "
               f"{code(q[2])}")
    text = (f"argv[0] contains a '/', so sys.executable is argv[0] {how}: {code(exe)}. "
            "Nothing on disk is consulted for this.")
    if _is_link(ctx.fs, exe, ctx.outcome.invocation.cwd):
        text += (f" {code(exe)} is a symbolic link, and it is not resolved: sys.executable "
                 "names the link, not the file it points to.")
    return text


@narrates("executable.path-search")
def _exe_path(step: Step, q: list[str], ctx: _Ctx) -> str:
    entry, found = q[0], q[1]
    text = (f"argv[0] has no '/', so the interpreter searches $PATH itself: the first entry "
            f"holding an executable file of that name is {code(entry)}, so sys.executable is "
            f"{code(found)}")
    if not found.startswith("/"):
        text += " (relative, because the PATH entry is: it is kept as joined)"
    return text + "."


@narrates("venv.cfg-found")
def _cfg_found(step: Step, q: list[str], ctx: _Ctx) -> str:
    path = q[0]
    where = ("in the directory of the resolved executable, then one level up"
             if ctx.c_getpath else
             "one level above the executable's directory, then in that directory itself")
    return (f"Next, getpath looks for a virtual environment's pyvenv.cfg, {where}. It finds "
            f"{code(path)}: this interpreter runs as part of the virtual environment "
            f"{code(h.dirname(path))}.")


@narrates("venv.no-cfg")
def _cfg_none(step: Step, q: list[str], ctx: _Ctx) -> str:
    places = " and ".join(code(p) for p in q)
    if len(q) == 1:
        places += " and its parent"
    text = (f"Next, getpath looks for a virtual environment's pyvenv.cfg in {places}: there "
            "is none, so this is not a virtual environment as far as start-up is concerned.")
    unseen = _unseen_cfg(ctx)
    if ctx.c_getpath and unseen:
        text += (f" Yet {code(unseen)} exists next to the executable as invoked: 3.8-3.10 "
                 "look for pyvenv.cfg only after following the executable's links, so getpath "
                 "does not see it (site.py does, when it runs).")
    return text


@narrates("venv.home-key")
def _cfg_home(step: Step, q: list[str], ctx: _Ctx) -> str:
    home = q[0]
    return (f"pyvenv.cfg's home key says {code(home)}: the directory of the base interpreter "
            "the venv was made from. From now on the search for the standard library starts "
            f"there, not in the venv.")


@narrates("base_executable.realpath")
def _base_realpath(step: Step, q: list[str], ctx: _Ctx) -> str:
    return (f"In a venv, sys._base_executable is where the executable's chain of symbolic "
            f"links ends: {code(q[0])} leads to {code(q[1])}.")


@narrates("base_executable.home")
def _base_home(step: Step, q: list[str], ctx: _Ctx) -> str:
    base = q[0]
    text = (f"The venv's executable is not a link, so sys._base_executable is home joined with "
            f"the executable's name: {code(base)}")
    if ctx.fs is not None and kernel.lookup(ctx.fs, base).entry is None:
        text += " (which does not exist)"
    return text + "."


@narrates("base_executable.same")
def _base_same(step: Step, q: list[str], ctx: _Ctx) -> str:
    return ("No venv home was found, so sys._base_executable is sys.executable itself: "
            f"{code(q[0])}.")


@narrates("real_executable.realpath")
def _real_exe(step: Step, q: list[str], ctx: _Ctx) -> str:
    before, after = q[0], q[1]
    if before == after:
        text = f"{code(before)} is not a symbolic link: it is the real executable."
    else:
        text = (f"Following {code(before)}'s symbolic links (the last component, as often as "
                f"needed) gives the real executable {code(after)}.")
    text += " Next to it getpath looks for build-tree markers and a ._pth file"
    if not ctx.fired & {"venv.home-key", "home.pythonhome", "pth.found"}:
        text += (f"; and, as no pyvenv.cfg home was given, the search for the standard "
                 f"library starts from its directory {code(h.dirname(after))}")
    return text + "."


@narrates("argv0_path.resolve-links")
def _argv0_links(step: Step, q: list[str], ctx: _Ctx) -> str:
    return (f"{code(q[0])} is a symbolic link: getpath.c follows it to {code(q[1])} before "
            "anything else, so every later search starts from the real file's directory.")


@narrates("argv0_path.dirname")
def _argv0_dir(step: Step, q: list[str], ctx: _Ctx) -> str:
    return (f"The directory of the (resolved) executable, {code(q[0])}, is argv0_path: "
            "where pyvenv.cfg is looked for and the upward searches start.")


@narrates("home.pythonhome")
def _pythonhome(step: Step, q: list[str], ctx: _Ctx) -> str:
    return (f"PYTHONHOME is set to {code(q[0])}. It is believed without checking: the text "
            "before the first ':' is the prefix, the text after it (or the same) exec_prefix.")


@narrates("home.ignored")
def _home_ignored(step: Step, q: list[str], ctx: _Ctx) -> str:
    return (f"PYTHONHOME is set ({code(q[0])}) but -E or -I tells the interpreter to ignore "
            "PYTHON* variables, so it plays no part.")


@narrates("venv.skipped-home")
def _cfg_skipped(step: Step, q: list[str], ctx: _Ctx) -> str:
    return (f"Because home is already set ({code(q[0])}), getpath does not look for "
            "pyvenv.cfg at all on this version.")


@narrates("prefix.from-home")
def _prefix_home(step: Step, q: list[str], ctx: _Ctx) -> str:
    if ctx.c_getpath:
        return (f"With home set, getpath.c takes the standard library to be {code(q[0])} "
                "without searching or checking.")
    return (f"With home set, there is no search: sys.prefix is {code(q[0])} and "
            f"sys.exec_prefix {code(q[1])}, whether or not anything is there.")


@narrates("startup.no-stdlib")
def _no_stdlib(step: Step, q: list[str], ctx: _Ctx) -> str:
    paths = quoted(step.detail.replace("searched ", "", 1)) or []
    where = ", ".join(code(p) for p in paths) or "the search path"
    return ("Before any code runs, the interpreter imports the encodings package from the "
            f"module search path ({where}). None of those entries holds it, so start-up "
            "fails: 'failed to get the Python codec of the filesystem encoding'.")


@narrates("path0.suppressed")
def _path0_none(step: Step, q: list[str], ctx: _Ctx) -> str:
    why = "-I" if ctx.c_getpath else "-P, -I or PYTHONSAFEPATH"
    return (f"Nothing is put in front of sys.path ({why} is in effect): the directory of the "
            "script, or the current directory, is not searched for imports.")


@narrates("prefix.os-landmark")
def _os_landmark(step: Step, q: list[str], ctx: _Ctx) -> str:
    start, found = q[0], q[1]
    why = _start_reason(ctx)
    if ctx.c_getpath:
        prefix = ctx.outcome.prefix or h.reduce(h.reduce(found))
        return (f"Now the standard library. getpath.c walks up from {code(start)} ({why}), "
                f"testing each directory for lib/pythonX.Y/os.py, and finds it in "
                f"{code(found)}. sys.prefix is that directory with its last two components "
                f"cut off: {code(prefix)}.")
    landmark = _found_landmark(ctx, found, ("/os.py", "/os.pyc"))
    tested = _walk(start, found)
    text = (f"Now the standard library. getpath walks up from {code(start)} ({why}), testing "
            f"each directory for the landmark {code(landmark[len(found) + 1:] if landmark else 'lib/pythonX.Y/os.py')}")
    if len(tested) > 1:
        text += "; " + ", ".join(code(d) for d in tested[:-1])
        text += " does not hold it" if len(tested) == 2 else " do not hold it"
    text += f"; {code(found)} does"
    if landmark:
        text += f" ({code(landmark)})"
    return text + (f". So sys.prefix is {code(found)}, kept exactly as the string that was "
                   "tested (links in it are not resolved).")


@narrates("prefix.search-failed")
def _search_failed(step: Step, q: list[str], ctx: _Ctx) -> str:
    return (f"Walking up from {code(q[0])} ({_start_reason(ctx)}), no directory holds the "
            f"standard library's landmark: {', '.join(code(d) for d in q)} "
            f"{'was' if len(q) == 1 else 'were'} tested ('/' itself never is).")


@narrates("prefix.compiled-in")
def _prefix_macro(step: Step, q: list[str], ctx: _Ctx) -> str:
    value = q[0]
    text = ("No directory on the way up holds the standard library, so getpath falls back to "
            f"the PREFIX compiled into the binary: {code(value)}")
    if any(w.startswith("Could not find platform independent") for w in ctx.outcome.warnings):
        text += (". It does not hold the standard library either, hence the warning "
                 "'Could not find platform independent libraries <prefix>'")
    if "venv.home-key" in ctx.fired:
        home = ctx.quoted("venv.home-key")
        text += (f". The search started at pyvenv.cfg's home"
                 f"{' ' + code(home[0]) if home else ''}: a home that is not the base "
                 "installation's own bin directory (say, a directory of links to it) ends here")
    return text + "."


@narrates("exec_prefix.compiled-in")
def _exec_macro(step: Step, q: list[str], ctx: _Ctx) -> str:
    value = q[0]
    text = ("Likewise no directory on the way up holds the extension modules' directory "
            "lib-dynload, so sys.exec_prefix falls back to the compiled-in EXEC_PREFIX")
    if ctx.c_getpath:
        return text + f": the extension modules are looked for in {code(value)}."
    return text + f": {code(value)}."


@narrates("exec_prefix.same-as-prefix")
def _exec_same(step: Step, q: list[str], ctx: _Ctx) -> str:
    return ("Nothing gave sys.exec_prefix a value of its own, so it is sys.prefix: "
            f"{code(q[0])}.")


@narrates("exec_prefix.lib-dynload")
def _dynload(step: Step, q: list[str], ctx: _Ctx) -> str:
    start, found = q[0], q[1]
    if ctx.c_getpath:
        value = ctx.outcome.exec_prefix or h.reduce(h.reduce(h.reduce(found)))
        return (f"The same walk from {code(start)} for the compiled extension modules finds "
                f"{code(found)}; sys.exec_prefix is three levels up: {code(value)}.")
    return (f"The same walk from {code(start)}, this time for the directory of compiled "
            f"extension modules (lib/pythonX.Y/lib-dynload), stops at {code(found)}: that "
            "is sys.exec_prefix.")


@narrates("searchpath.zip")
def _zip(step: Step, q: list[str], ctx: _Ctx) -> str:
    path = step.detail
    text = (f"The module search path gets the standard library's zip archive {code(path)}, "
            "listed whether or not it exists")
    if ctx.fs is not None and kernel.lookup(ctx.fs, path).entry is None:
        text += " (here it does not)"
    return text + "."


@narrates("searchpath.stdlib")
def _stdlib(step: Step, q: list[str], ctx: _Ctx) -> str | None:
    if len(q) < 2:
        return None
    return (f"Then the standard library directory {code(q[0])} and the extension-module "
            f"directory {code(q[1])}.")


@narrates("path0.command")
def _path0_c(step: Step, q: list[str], ctx: _Ctx) -> str:
    return ("The code is run with -c (or read from stdin), so sys.path[0] is '': the current "
            "directory, looked up at each import.")


@narrates("path0.script")
def _path0_script(step: Step, q: list[str], ctx: _Ctx) -> str:
    return (f"A script runs, so sys.path[0] is the directory of its real path (links "
            f"resolved): {code(q[0])} gives {code(q[1])}.")


@narrates("path0.module")
def _path0_m(step: Step, q: list[str], ctx: _Ctx) -> str:
    return (f"-m runs a module, so sys.path[0] is the working directory as getcwd() returns "
            f"it (physical): {code(step.detail)}.")


@narrates("site.venv")
def _site_venv(step: Step, q: list[str], ctx: _Ctx) -> str:
    cfg, prefix = q[0], q[1]
    base = ctx.outcome.base_prefix
    return ("There is no -S, so the interpreter imports site, whose venv() looks for "
            "pyvenv.cfg next to sys.executable and one directory up (by the path as written, "
            f"not following links). It finds {code(cfg)} and makes sys.prefix and "
            f"sys.exec_prefix the executable directory's parent, {code(prefix)}"
            + (f"; sys.base_prefix stays {code(base)}, the installation getpath found."
               if base else "."))


@narrates("site.system-site")
def _site_system(step: Step, q: list[str], ctx: _Ctx) -> str:
    value = dict(step.values).get("system_site", q[0] if q else "true")
    if value == "true":
        return ("pyvenv.cfg's include-system-site-packages is 'true' (or missing), so the base "
                "installation's site-packages stay on the list of prefixes to search, after "
                "the venv's own, and the user site may be added.")
    return (f"pyvenv.cfg's include-system-site-packages is {code(value)}: anything but 'true' "
            "(after lower-casing) leaves the venv on its own, so neither the base "
            "installation's site-packages nor the user site are added.")


@narrates("site.user-site-disabled")
def _site_user_off(step: Step, q: list[str], ctx: _Ctx) -> str:
    why = ("the process runs set-uid or set-gid" if step.detail.endswith("None")
           else "-s, -I or PYTHONNOUSERSITE asks so, or the venv keeps no system site-packages")
    return f"site leaves the user site out: {why}."


@narrates("site.user-site")
def _site_user(step: Step, q: list[str], ctx: _Ctx) -> str:
    where = q[0] if q else ""
    if step.detail.endswith("(a directory)"):
        return (f"The user site is {code(where)} (from PYTHONUSERBASE, else ~/.local under "
                "HOME or the account's home); it is a directory, so site adds it and reads "
                "its .pth files.")
    return (f"The user site would be {code(where)} (from PYTHONUSERBASE, else ~/.local under "
            "HOME or the account's home); it is not a directory, so nothing is added.")


@narrates("site.site-packages")
def _site_packages(step: Step, q: list[str], ctx: _Ctx) -> str:
    candidates, _, present = step.detail.partition(": present ")
    try:
        wanted = ast.literal_eval(candidates)
        found = ast.literal_eval(present)
    except (ValueError, SyntaxError):
        return step.detail
    listed = ", ".join(code(p) for p in wanted) or "none"
    if not found:
        return f"site looks for site-packages directories: {listed}; none of them exists."
    kept = ", ".join(code(p) for p in found)
    return (f"site looks for site-packages directories: {listed}. Those that exist are added "
            f"in that order: {kept}.")


@narrates("site.addsitedir")
def _site_addsitedir(step: Step, q: list[str], ctx: _Ctx) -> str:
    return (f"{code(q[0])} is appended to sys.path, and its .pth files are read in sorted "
            "order." if q else step.detail)


@narrates("site.pth-path")
def _site_pth_path(step: Step, q: list[str], ctx: _Ctx) -> str:
    where = step.detail.partition(": ")[0]
    directory = q[0] if q else ""
    if step.detail.endswith("appended"):
        outcome = "exists and is new, so it is appended to sys.path"
    elif step.detail.endswith("already on sys.path"):
        outcome = "is already on sys.path, so it is not added again"
    else:
        outcome = "does not exist, so it is skipped"
    return (f"Line {code(where)} names a directory (joined to the site directory and "
            f"normalised): {code(directory)}, which {outcome}.")


@narrates("site.no-venv")
def _site_no_venv(step: Step, q: list[str], ctx: _Ctx) -> str:
    places = " and ".join(code(p) for p in q)
    return (f"There is no -S, so the interpreter imports site, whose venv() finds no "
            f"pyvenv.cfg in {places}: the prefixes stay as getpath left them.")


def _start_reason(ctx: _Ctx) -> str:
    if "venv.home-key" in ctx.fired:
        return "pyvenv.cfg's home"
    if "executable.launcher-variable" in ctx.fired:
        return "the launcher variable's directory"
    if ctx.c_getpath:
        return "argv0_path"
    if "executable.not-found" in ctx.fired:
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


def _found_landmark(ctx: _Ctx, directory: str, suffixes: Sequence[str]) -> str:
    for probe in ctx.outcome.trace.probes:
        if (probe.result == "file" and probe.path.startswith(directory + "/")
                and probe.path.endswith(tuple(suffixes))):
            return probe.path
    return ""


def _unseen_cfg(ctx: _Ctx) -> str:
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


def _venv_dir(ctx: _Ctx) -> str:
    found = ctx.quoted("venv.cfg-found")
    return h.dirname(found[0]) if found else ""


def _is_link(fs: FsView | None, path: str, cwd: str) -> bool:
    if fs is None:
        return False
    entry = kernel.lookup(fs, path, _physical_cwd(fs, cwd), follow=False).entry
    return entry is not None and entry.kind == "link"


def _physical_cwd(fs: FsView, cwd: str) -> str:
    real = kernel.realpath(fs, cwd)
    return real if isinstance(real, str) else "/"


def _first_line(fs: FsView | None, path: str) -> str:
    if fs is None:
        return ""
    data = kernel.read_file(fs, path)
    if isinstance(data, kernel.Errno):
        return ""
    return data[:200].split(b"\n", 1)[0].decode("utf-8", "surrogateescape").strip()


def _exec_path(fs: FsView | None, inv: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The path execvp used and the links the kernel followed from it."""
    if fs is None:
        return "", ()
    resolver = kernel.Resolver(fs, _physical_cwd(fs, inv.cwd))
    if "/" in inv.program:
        return inv.program, resolver.lookup(inv.program).links
    for entry in inv.environ.get("PATH", DEFAULT_EXEC_PATH).split(":"):
        candidate = f"{entry}/{inv.program}" if entry else inv.program
        found = resolver.lookup(candidate)
        if found.entry is not None and found.entry.kind == "file" and found.entry.mode & 0o111:
            return candidate, found.links
    return "", ()


# -- the closing summary ------------------------------------------------------------------------
def _summary(ctx: _Ctx) -> list[str]:
    out = ctx.outcome
    if out.status != "ok":
        kind = out.error.kind if out.error else "unknown"
        message = out.error.message if out.error else ""
        return [f"In short: no running interpreter ({out.status}, {kind}): {show(message)}"]
    lines = [f"In short: sys.prefix is {code(out.prefix or '')} because "
             + _prefix_reason(ctx) + "."]
    venv = _venv_dir(ctx)
    if venv and out.prefix != venv and not ctx.fired & {"site.venv", "site.no-venv"}:
        lines.append(
            f"It is the base installation, not the venv {code(venv)}: getpath only uses "
            "pyvenv.cfg to find the base; before 3.14 it is site.py that makes sys.prefix "
            "the venv, and -S keeps site from running.")
    for warning in out.warnings:
        lines.append(f"Start-up writes the warning: {warning}")
    return lines


def _prefix_reason(ctx: _Ctx) -> str:
    fired = ctx.fired
    if "site.venv" in fired:
        return ("site.py's venv() found a pyvenv.cfg beside sys.executable (or one directory "
                "up), so sys.prefix is the parent of sys.executable's directory; the "
                f"installation getpath found is sys.base_prefix, "
                f"{code(ctx.outcome.base_prefix or '')}")
    if "venv.prefix-switch" in fired:
        return "pyvenv.cfg makes it the venv (3.14 does this in getpath)"
    if "prefix.from-home" in fired:
        return "PYTHONHOME (or a ._pth file's directory) says so"
    if "searchpath.build-prefix-reset" in fired:
        return "this is a build tree, whose prefix is reported as the compiled-in PREFIX"
    if "prefix.zip-landmark" in fired:
        return "it is the first directory above the search's start holding the stdlib zip"
    if "prefix.os-landmark" in fired:
        start = ctx.quoted("prefix.os-landmark")
        where = f" {code(start[0])}" if start else ""
        return (f"it is the first directory above{where} ({_start_reason(ctx)}) that holds "
                "the standard library's landmark os.py")
    if "prefix.compiled-in" in fired:
        start = ctx.quoted("prefix.search-failed")
        where = f" {code(start[0])}" if start else ""
        return (f"no directory above{where} ({_start_reason(ctx)}) holds the standard "
                "library, so the PREFIX compiled into the binary is used")
    if "prefix.library" in fired:
        return "it is where the runtime library libpython lives"
    return "nothing else applied (see the steps above)"


# -- the graph ---------------------------------------------------------------------------------
def mermaid(outcome: Outcome, fs: FsView) -> str:
    """The part of the layout the answer depended on, as Mermaid: the program and the links
    followed to the binary, every path probed (missing ones dashed), the landmarks found and
    the directories that became the prefixes."""
    cwd = _physical_cwd(fs, outcome.invocation.cwd)
    paths = [outcome.invocation.program] if "/" in outcome.invocation.program else []
    used, _ = _exec_path(fs, outcome.invocation)
    if used and used not in paths:
        paths.append(used)
    paths += [p.path for p in outcome.trace.probes if p.path]
    for name in FIELDS:
        value = getattr(outcome, name)
        if value:
            paths.append(value)
    from prefixlab.impl.render import graph as layout  # networkx is slow to import: only for --graph

    graph = layout.layout_graph(fs, paths, cwd)
    return layout.to_mermaid(graph, _marks(outcome, fs, cwd))


def _marks(outcome: Outcome, fs: FsView, cwd: str) -> dict[str, layout.Mark]:
    resolver = kernel.Resolver(fs, cwd)

    def physical(path: str, follow: bool = True) -> str | None:
        return resolver.lookup(path, follow=follow).path

    roles: dict[str, list[str]] = {}
    styles: dict[str, str] = {}
    program = physical(outcome.invocation.program, follow=False) \
        if "/" in outcome.invocation.program else None
    if program:
        roles.setdefault(program, []).append("program run")
    for probe in outcome.trace.probes:
        if probe.helper in ("isfile", "isdir") and probe.result in ("file", "dir"):
            where = physical(probe.path)
            if where:
                stdlib_check = "/encodings/__init__.py" in probe.path
                roles.setdefault(where, []).append(
                    "found: the stdlib is importable" if stdlib_check else "landmark found")
                styles[where] = "found"
        elif probe.helper == "readlines" and probe.result.endswith("lines"):
            where = physical(probe.path)
            if where:
                roles.setdefault(where, []).append("read")
                styles[where] = "found"
    names = {"prefix": "sys.prefix", "exec_prefix": "sys.exec_prefix",
             "base_prefix": "sys.base_prefix", "executable": "sys.executable",
             "base_executable": "sys._base_executable"}
    for name, label in names.items():
        value = getattr(outcome, name)
        where = physical(value, follow=name not in ("executable", "base_executable")) \
            if value else None
        if where and label not in roles.get(where, []):
            roles.setdefault(where, []).append(label)
    from prefixlab.impl.render import graph as layout

    return {path: layout.Mark(", ".join(dict.fromkeys(words)), styles.get(path, "role"))
            for path, words in roles.items()}


# -- results and comparisons ---------------------------------------------------------------------
def result_rows(outcome: Outcome) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [("status", outcome.status)]
    if outcome.error is not None:
        rows.append(("error", f"{outcome.error.kind}: {show(outcome.error.message)}"))
    if outcome.version:
        rows.append(("version", outcome.version))
    for name in FIELDS:
        value = getattr(outcome, name)
        if value is not None:
            rows.append((LABELS[name], show(value) if value else "''"))
    if outcome.status == "ok":
        for n, entry in enumerate(outcome.path):
            rows.append(("sys.path" if n == 0 else "", show(entry) if entry else "''"))
    for warning in outcome.warnings:
        rows.append(("warning", show(warning)))
    for n, code in enumerate(outcome.code_not_run):
        where = show(code.file) + (f":{code.line}" if code.line else "")
        effect = (f"{code.known_as}: changes nothing predicted" if code.known_as and
                  not code.may_change else code.known_as or "not run: could change any field")
        rows.append(("code not run" if n == 0 else "", f"{where} ({effect})"))
    return rows


@dataclass(frozen=True)
class Comparison:
    rows: tuple[tuple[str, str, str, bool, str], ...]
    """(key, predicted, probed, equal, indexed key): the key is '' on a list's later rows,
    where the indexed key says which entry it is (sys.path[3])."""
    differences: tuple[str, ...]
    notes: tuple[str, ...]

    def to_json(self, predicted: Outcome, probed: Outcome) -> dict[str, Any]:
        mine, theirs = predicted.comparable(), probed.comparable()
        return {"schema": SCHEMA, "equal": not self.differences,
                "differences": {k: {"predicted": mine.get(k), "probed": theirs.get(k)}
                                for k in self.differences},
                "notes": [plain(n) for n in self.notes],
                "predicted": predicted.to_json(), "probed": probed.to_json(with_trace=False)}


def compare(predicted: Outcome, probed: Outcome) -> Comparison:
    """Key by key, the values a prediction and an observation must agree on."""
    mine, theirs = predicted.comparable(), probed.comparable()
    keys = [k for k in ("status", "error", "version", *FIELDS, "path", "warnings", "install")
            if k in mine or k in theirs]
    rows: list[tuple[str, str, str, bool, str]] = []
    differences = []
    for key in keys:
        left, right = mine.get(key), theirs.get(key)
        equal = left == right
        if not equal:
            differences.append(key)
        label = LABELS.get(key, key)
        if key == "install" and (isinstance(left, dict) or isinstance(right, dict)):
            mine_paths, their_paths = dict(left or {}), dict(right or {})  # a row per key
            rows.extend((f"install.{k}", _value(mine_paths.get(k)), _value(their_paths.get(k)),
                         mine_paths.get(k) == their_paths.get(k), f"install.{k}")
                        for k in INSTALL_KEYS)
            continue
        if isinstance(left, list) or isinstance(right, list):
            a, b = list(left or []), list(right or [])
            if not a and not b:
                rows.append((label, "(none)", "(none)", True, label))
            for n in range(max(len(a), len(b))):
                rows.append((label if n == 0 else "", _value(a[n] if n < len(a) else None),
                             _value(b[n] if n < len(b) else None),
                             n < len(a) and n < len(b) and a[n] == b[n], f"{label}[{n}]"))
        else:
            rows.append((label, _value(left), _value(right), equal, label))
    notes = []
    if differences and predicted.code_not_run:
        notes.append("Code site runs and the model does not (code_not_run) may explain it: "
                     + ", ".join(f"{show(c.file)}" + (f":{c.line}" if c.line else "")
                                 for c in predicted.code_not_run if c.may_change) + ".")
    if probed.error is not None and probed.error.kind == "probe-unsupported":
        notes.append(f"The probe cannot run this: {show(probed.error.message)}")
    return Comparison(tuple(rows), tuple(differences), tuple(notes))


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return show(value) if value else "''"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {show(str(v))}" for k, v in value.items())
    return show(str(value))


# -- rendering -----------------------------------------------------------------------------------
def plain(text: str) -> str:
    """Prose with its code spans in backticks (Markdown: pastes well into a bug report)."""
    return text.replace(CODE, "`")


def _rich_text(text: str, style: str = "") -> Text:
    out = Text(style=style)
    for n, part in enumerate(text.split(CODE)):
        out.append(part, style="bold cyan" if n % 2 else "")
    return out


def columns(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)] if rows else []
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1]
            if len(r) > 1 else indent + r[0] for r in rows]


def render_plain(expl: Explanation) -> str:
    lines = [expl.title]
    lines += columns(expl.asked)
    for paragraph in expl.preface:
        lines += ["", plain(paragraph)]
    lines += ["", "What happens, step by step:"]
    for n, item in enumerate(expl.items, 1):
        lines.append(f"{n:2}. {plain(item.text)}")
        lines.append(f"    [{item.citation}]")
    lines += ["", "Result (predicted):"]
    lines += columns(expl.result)
    lines += [""] + [plain(s) for s in expl.summary]
    if expl.mermaid is not None:
        lines += ["", "The layout this answer depended on (Mermaid):", "", "```mermaid",
                  expl.mermaid.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


def render_rich(expl: Explanation, console: Console) -> None:
    console.print(Text(expl.title, style="bold"))
    _rich_pairs(console, expl.asked)
    for paragraph in expl.preface:
        console.print()
        console.print(_rich_text(paragraph))
    console.print()
    console.print(Text("What happens, step by step", style="bold underline"))
    for n, item in enumerate(expl.items, 1):
        line = Text(f"{n:2}. ", style="bold")
        line.append_text(_rich_text(item.text))
        console.print(line)
        console.print(Text(f"    {item.citation}", style="dim"))
    console.print()
    console.print(Text("Result (predicted)", style="bold underline"))
    _rich_pairs(console, expl.result)
    console.print()
    for sentence in expl.summary:
        console.print(_rich_text(sentence, style="italic"))
    if expl.mermaid is not None:
        console.print()
        console.print(Text("The layout this answer depended on (Mermaid):", style="bold"))
        console.print("```mermaid\n" + expl.mermaid.rstrip("\n") + "\n```", markup=False,
                      highlight=False, soft_wrap=True)


def _rich_pairs(console: Console, rows: Sequence[tuple[str, str]]) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


def render_result_plain(outcome: Outcome, heading: str) -> str:
    return "\n".join([heading, *columns(result_rows(outcome))]) + "\n"


def render_result_rich(outcome: Outcome, heading: str, console: Console) -> None:
    console.print(Text(heading, style="bold"))
    _rich_pairs(console, result_rows(outcome))


def render_comparison_plain(comparison: Comparison, *, only_differences: bool = False) -> str:
    rows = [("", "", "predicted", "probed")]
    for key, left, right, equal, indexed in comparison.rows:
        if only_differences and equal:
            continue
        rows.append(("=" if equal else "≠", indexed if only_differences else key, left, right))
    lines = columns(rows)
    if comparison.differences:
        lines.append(f"{len(comparison.differences)} key(s) differ: "
                     + ", ".join(comparison.differences))
    else:
        lines.append("Prediction and probe agree on every key.")
    lines += [plain(n) for n in comparison.notes]
    return "\n".join(lines) + "\n"


def render_comparison_rich(comparison: Comparison, console: Console, *,
                           only_differences: bool = False) -> None:
    table = Table(show_edge=False, header_style="bold")
    table.add_column("")
    table.add_column("key", style="dim")
    table.add_column("predicted", overflow="fold")
    table.add_column("probed", overflow="fold")
    for key, left, right, equal, indexed in comparison.rows:
        if only_differences and equal:
            continue
        style = "" if equal else "bold red"
        table.add_row("=" if equal else "≠", indexed if only_differences else key,
                      Text(left, style=style),
                      Text(right, style=style))
    console.print(table)
    if comparison.differences:
        console.print(Text(f"{len(comparison.differences)} key(s) differ: "
                           + ", ".join(comparison.differences), style="bold red"))
    else:
        console.print(Text("Prediction and probe agree on every key.", style="bold green"))
    for note in comparison.notes:
        console.print(_rich_text(note, style="italic"))
