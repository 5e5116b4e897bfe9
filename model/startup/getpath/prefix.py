"""Stage: CALCULATE prefix AND exec_prefix (getpath.py, 3.11+); search_for_prefix and
search_for_exec_prefix (getpath.c, 3.8-3.10).

prefix is where the platform-independent stdlib lives (landmark ``lib/pythonX.Y/os.py``),
exec_prefix where the extension modules live (``lib/pythonX.Y/lib-dynload``).  Both are found
by walking up from the executable's directory (or pyvenv.cfg's home), testing each ancestor
but never '/' itself; failing that, the compiled-in PREFIX / EXEC_PREFIX are used with a
warning.
"""

from __future__ import annotations

from typing import Final

from prefixlab.model.paths import getpath as h
from prefixlab.model.world import kernel
from prefixlab.model.startup.getpath.context import Calc
from prefixlab.model.trace import Joined, rule

WARN_PREFIX = "Could not find platform independent libraries <prefix>"
WARN_EXEC_PREFIX = "Could not find platform dependent libraries <exec_prefix>"
WARN_HOME = "Consider setting $PYTHONHOME to <prefix>[:<exec_prefix>]"

R_HOME_SPLIT = rule(
    "prefix.from-home", "prefix",
    "home is set (PYTHONHOME or a ._pth directory): prefix is the text before the first ':', "
    "exec_prefix the text after it (or the same), believed without checking.",
    "getpath.py 'Read prefix and exec_prefix from explicitly set home'; getpath.c "
    "search_for_prefix 'If PYTHONHOME is set, we believe it unconditionally'")
R_LIBRARY = rule(
    "prefix.library", "prefix",
    "The runtime library's directory (or an ancestor holding the zip) is the prefix.",
    "getpath.py 'looking alongside our runtime library' (3.14 on shared builds, PR 127972)")
R_ZIP = rule(
    "prefix.zip-landmark", "prefix",
    "An ancestor of the executable's directory holds lib/pythonXY.zip: it is the prefix, "
    "even if a nearer directory holds os.py.",
    "getpath.py 'Detect prefix by looking for zip file' (3.11+)")
R_LANDMARK = rule(
    "prefix.os-landmark", "prefix",
    "Walking up from the executable's directory, the first ancestor holding "
    "lib/pythonX.Y/os.py (or os.pyc) is the prefix, kept as the string that was tested.",
    "getpath.py search_up(executable_dir, *STDLIB_LANDMARKS); getpath.c search_for_prefix")
R_SEARCH_FAILED = rule(
    "prefix.search-failed", "prefix",
    "Walking up from the search's start, no directory holds the stdlib landmark ('/' itself "
    "is never tested).",
    "getpath.py search_up (3.11+); getpath.c search_for_prefix reduce() loop")
R_PREFIX_MACRO = rule(
    "prefix.compiled-in", "prefix",
    "No ancestor holds the stdlib: the compiled-in PREFIX is used (with a warning if it "
    "lacks the stdlib too).",
    "getpath.py 'if PREFIX and not prefix'; getpath.c 'Look at configure's PREFIX'")
R_PREFIX_CWD = rule(
    "prefix.cwd", "prefix",
    "Nothing else applies: the prefix is the working directory.",
    "getpath.py prefix = abspath('')")
R_EXEC_FROM_PREFIX = rule(
    "exec_prefix.from-prefix", "prefix",
    "The prefix holds lib-dynload, so exec_prefix is the prefix.",
    "getpath.py GH-66409 (3.14, PR 127974)")
R_EXEC_LANDMARK = rule(
    "exec_prefix.lib-dynload", "prefix",
    "Walking up from the executable's directory, the first ancestor holding the directory "
    "lib/pythonX.Y/lib-dynload is exec_prefix.",
    "getpath.py search_up(..., PLATSTDLIB_LANDMARK, test=isdir); getpath.c "
    "search_for_exec_prefix")
R_EXEC_MACRO = rule(
    "exec_prefix.compiled-in", "prefix",
    "No ancestor holds lib-dynload: the compiled-in EXEC_PREFIX is used (with a warning if it "
    "lacks lib-dynload too).",
    "getpath.py 'if not exec_prefix and EXEC_PREFIX'; getpath.c EXEC_PREFIX macro")
R_EXEC_IS_PREFIX = rule(
    "exec_prefix.same-as-prefix", "prefix",
    "exec_prefix is still empty, so it is the prefix.",
    "getpath.py 'Fallback: assume exec_prefix == prefix'")
R_BUILD_C = rule(
    "prefix.build-tree", "prefix",
    "argv0_path holds Modules/Setup.local and VPATH/Lib/os.py: a build tree, whose prefix "
    "is reported as the compiled-in PREFIX.",
    "getpath.c search_for_prefix build directory check (3.8-3.10)")
R_PYBUILDDIR_C = rule(
    "exec_prefix.pybuilddir", "prefix",
    "argv0_path holds pybuilddir.txt: extension modules are in the directory it names.",
    "getpath.c calculate_pybuilddir (3.8-3.10)")


def _landmarks(calc: Calc) -> tuple[str, str, str, str]:
    if calc.landmarks is None:
        calc.landmarks = _work_out_landmarks(calc)
    return calc.landmarks


def _work_out_landmarks(calc: Calc) -> tuple[str, str, str, str]:
    build = calc.inputs.build
    platlibdir = calc.inputs.config.platlibdir or build.platlibdir
    major, minor = build.version[:2]
    t = build.abi_thread if calc.ask("free_threading") else ""
    key = (platlibdir, major, minor, t)
    known = _LANDMARKS.get(key)
    if known is None:
        if len(_LANDMARKS) > 64:  # PYTHONPLATLIBDIR can be anything: keep the memo small
            _LANDMARKS.clear()
        subdir = f"{platlibdir}/python{major}.{minor}{t}"
        zip_landmark = f"{platlibdir}/python{major}{minor}{t}.zip"
        known = _LANDMARKS[key] = (subdir, f"{subdir}/os.py", f"{subdir}/lib-dynload",
                                   zip_landmark)
    return known


_LANDMARKS: Final[dict[tuple[str, int, int, str], tuple[str, str, str, str]]] = {}
"""The landmark strings by what they are made of: the same few for every start of a build."""


def stdlib_subdir(calc: Calc) -> str:
    return _landmarks(calc)[0]


def zip_landmark(calc: Calc) -> str:
    return _landmarks(calc)[3]


def calculate(calc: Calc) -> None:
    """getpath.py 3.11+."""
    subdir, os_py, dynload, zip_lm = _landmarks(calc)
    build = calc.inputs.build
    if calc.home:
        prefix, had_delim, exec_prefix = calc.home.partition(":")
        calc.prefix, calc.exec_prefix = prefix, (exec_prefix if had_delim else prefix)
        calc.stdlib_dir = None
        calc.step(R_HOME_SPLIT, "prefix {prefix!r}, exec_prefix {exec_prefix!r}",
                  prefix=calc.prefix, exec_prefix=calc.exec_prefix)
    library = build.library if calc.ask("library_known") else None
    if library and not calc.prefix:
        _from_library(calc, library, subdir, os_py, zip_lm)
    if calc.executable_dir and not calc.prefix:
        calc.prefix = calc.search_up(calc.executable_dir, zip_lm)
        if calc.prefix:
            calc.stdlib_dir = h.joinpath(calc.prefix, subdir)
            if not calc.isdir(calc.stdlib_dir):
                calc.stdlib_dir = None
            calc.step(R_ZIP, "{prefix!r} holds {landmark}", versioned=True, prefix=calc.prefix,
                      landmark=zip_lm)
    if calc.executable_dir and not calc.prefix:
        calc.prefix = calc.search_up(calc.executable_dir, os_py, os_py + "c")
        if calc.prefix:
            if not calc.stdlib_dir or calc.ask("landmark_overrides_stdlib_dir"):
                calc.stdlib_dir = h.joinpath(calc.prefix, subdir)
            calc.step(R_LANDMARK, "from {start!r}: {prefix!r}", start=calc.executable_dir,
                      prefix=calc.prefix)
    if calc.executable_dir and not calc.prefix:
        calc.step(R_SEARCH_FAILED, "tested {searched:r} for {landmark}: none has it",
                  searched=Joined(calc.searched), landmark=os_py)
    if build.prefix and not calc.prefix:
        calc.prefix = build.prefix
        if not (calc.isfile(h.joinpath(calc.prefix, os_py))
                or calc.isfile(h.joinpath(calc.prefix, os_py + "c"))):
            calc.warn(WARN_PREFIX)
        calc.step(R_PREFIX_MACRO, "PREFIX = {prefix!r}", prefix=build.prefix)
    if not calc.prefix:
        calc.prefix = calc.abspath("")
        calc.warn(WARN_PREFIX)
        calc.step(R_PREFIX_CWD, "{prefix!r}", prefix=calc.prefix)
    _exec_prefix(calc, dynload)
    if not calc.exec_prefix:
        calc.exec_prefix = calc.prefix
        calc.step(R_EXEC_IS_PREFIX, "{prefix!r}", prefix=calc.prefix)
    if not calc.prefix or not calc.exec_prefix:
        calc.warn(WARN_HOME)


def _from_library(calc: Calc, library: str, subdir: str, os_py: str, zip_lm: str) -> None:
    library_dir = h.dirname(library)
    calc.prefix = calc.search_up(library_dir, zip_lm)
    if not calc.prefix and (calc.isfile(h.joinpath(library_dir, os_py))
                            or calc.isfile(h.joinpath(library_dir, os_py + "c"))):
        calc.prefix = library_dir
        calc.stdlib_dir = h.joinpath(library_dir, subdir)
    if calc.prefix:
        calc.step(R_LIBRARY, "{library!r} -> {prefix!r}", versioned=True, library=library,
                  prefix=calc.prefix)


def _exec_prefix(calc: Calc, dynload: str) -> None:
    if calc.exec_prefix:
        return
    build = calc.inputs.build
    if (calc.ask("exec_prefix_prefers_prefix") and calc.prefix
            and calc.isdir(h.joinpath(calc.prefix, dynload))):
        calc.exec_prefix = calc.prefix
        calc.step(R_EXEC_FROM_PREFIX, "{exec_prefix!r}", versioned=True,
                  exec_prefix=calc.prefix)
    if not calc.exec_prefix and calc.executable_dir:
        calc.exec_prefix = calc.search_up(calc.executable_dir, dynload, test="isdir")
        if calc.exec_prefix:
            calc.step(R_EXEC_LANDMARK, "from {start!r}: {exec_prefix!r}",
                      start=calc.executable_dir, exec_prefix=calc.exec_prefix)
    if not calc.exec_prefix and build.exec_prefix:
        calc.exec_prefix = build.exec_prefix
        calc.step(R_EXEC_MACRO, "EXEC_PREFIX = {exec_prefix!r}", exec_prefix=build.exec_prefix)
    if not calc.exec_prefix or not calc.isdir(h.joinpath(calc.exec_prefix, dynload)):
        calc.warn(WARN_EXEC_PREFIX)


# -- 3.8-3.10: Modules/getpath.c -------------------------------------------------------------
def platlibdir_c(calc: Calc) -> str:
    """getpath.c's platlibdir: PyConfig.platlibdir, i.e. PYTHONPLATLIBDIR when the environment
    is used, else the compiled-in PLATLIBDIR (3.9-3.10); 3.8 has none and uses 'lib'."""
    if not calc.ask("has_platlibdir"):
        return "lib"
    return calc.inputs.config.platlibdir or calc.inputs.build.platlibdir


def _lib_python(calc: Calc) -> str:
    """platlibdir "/python" VERSION."""
    build = calc.inputs.build
    return f"{platlibdir_c(calc)}/python{build.version[0]}.{build.version[1]}"


def _ismodule(calc: Calc, directory: str) -> bool:
    landmark = h.joinpath2(directory, "os.py")
    return calc.isfile(landmark) or calc.isfile(landmark + "c")


def search_for_prefix(calc: Calc) -> None:
    """getpath.c search_for_prefix + calculate_prefix: sets calc.prefix to the found
    .../lib/pythonX.Y directory and prefix_found to 1, -1 (build tree) or 0."""
    lib_python = _lib_python(calc)
    if calc.home:
        calc.prefix = h.joinpath2(calc.home.partition(":")[0], lib_python)
        calc.prefix_found = 1
        calc.step(R_HOME_SPLIT, "stdlib {stdlib!r}", stdlib=calc.prefix)
        return
    argv0_path = calc.argv0_path
    if calc.isfile(h.joinpath2(argv0_path, "Modules/Setup.local")):
        lib = h.joinpath2(h.joinpath2(argv0_path, calc.inputs.build.vpath), "Lib")
        if _ismodule(calc, lib):
            calc.prefix, calc.prefix_found = lib, -1
            calc.step(R_BUILD_C, "stdlib {stdlib!r}", stdlib=lib)
            return
    candidate = h.copy_absolute(argv0_path, calc.cwd)
    while True:
        stdlib = h.joinpath2(candidate, lib_python)
        if _ismodule(calc, stdlib):
            calc.prefix, calc.prefix_found = stdlib, 1
            calc.step(R_LANDMARK, "from {start!r}: stdlib {stdlib!r}", start=argv0_path,
                      stdlib=stdlib)
            return
        candidate = h.reduce(candidate)
        if not candidate:
            break
    stdlib = h.joinpath2(calc.inputs.build.prefix, lib_python)
    calc.prefix = stdlib
    calc.prefix_found = 1 if _ismodule(calc, stdlib) else 0
    calc.step(R_PREFIX_MACRO, "stdlib {stdlib!r}", stdlib=stdlib)
    if not calc.prefix_found:
        calc.warn(WARN_PREFIX)


def search_for_exec_prefix(calc: Calc) -> None:
    """getpath.c search_for_exec_prefix + calculate_exec_prefix: calc.exec_prefix becomes
    the lib-dynload directory."""
    lib_python = _lib_python(calc)
    if calc.home:
        head, had_delim, tail = calc.home.partition(":")
        calc.exec_prefix = h.joinpath2(h.joinpath2(tail if had_delim else head, lib_python),
                                       "lib-dynload")
        calc.exec_prefix_found = 1
        return
    txt = calc.read_bytes(h.joinpath2(calc.argv0_path, "pybuilddir.txt"))
    if not isinstance(txt, kernel.Errno) or txt is kernel.Errno.EISDIR:
        content = b"" if isinstance(txt, kernel.Errno) else txt[:4096]
        relative = content.decode("utf-8", "surrogateescape").split("\0", 1)[0]
        calc.exec_prefix = h.joinpath2(calc.argv0_path, relative)
        calc.exec_prefix_found = -1
        calc.step(R_PYBUILDDIR_C, "extension modules in {dynload!r}", dynload=calc.exec_prefix)
        return
    candidate = h.copy_absolute(calc.argv0_path, calc.cwd)
    while True:
        dynload = h.joinpath2(h.joinpath2(candidate, lib_python), "lib-dynload")
        if calc.isdir(dynload):
            calc.exec_prefix, calc.exec_prefix_found = dynload, 1
            calc.step(R_EXEC_LANDMARK, "from {start!r}: {dynload!r}", start=calc.argv0_path,
                      dynload=dynload)
            return
        candidate = h.reduce(candidate)
        if not candidate:
            break
    dynload = h.joinpath2(h.joinpath2(calc.inputs.build.exec_prefix, lib_python), "lib-dynload")
    if calc.isdir(dynload):
        calc.exec_prefix, calc.exec_prefix_found = dynload, 1
    else:
        calc.warn(WARN_EXEC_PREFIX)
        calc.exec_prefix = h.joinpath2(calc.inputs.build.exec_prefix,
                                       h.joinpath2(platlibdir_c(calc), "lib-dynload"))
        calc.exec_prefix_found = 0
    calc.step(R_EXEC_MACRO, "extension modules {dynload!r}", dynload=calc.exec_prefix)


def set_prefixes_c(calc: Calc) -> None:
    """calculate_set_prefix / calculate_set_exec_prefix: cut the found directories back to
    their prefix ('/' if nothing is left); a build tree or a miss reports the macros."""
    build = calc.inputs.build
    stdlib, dynload = calc.prefix or "", calc.exec_prefix or ""
    calc.stdlib_dir = stdlib
    calc.platstdlib_dir = dynload
    calc.prefix = (h.reduce(h.reduce(stdlib)) or "/") if calc.prefix_found > 0 else build.prefix
    calc.exec_prefix = ((h.reduce(h.reduce(h.reduce(dynload))) or "/")
                        if calc.exec_prefix_found > 0 else build.exec_prefix)
