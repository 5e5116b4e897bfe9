"""Stage: DETECT _pth FILE (getpath.py, 3.11+ on POSIX, bpo-46049), and SET pythonpath FROM
_PTH FILE at the end."""

from __future__ import annotations

from prefixlab.model.paths import getpath as h
from prefixlab.model.startup.getpath.context import Calc
from prefixlab.model.startup.getpath.venv import getpath_error
from prefixlab.model.world.kernel import Errno
from prefixlab.model.trace import rule

R_PTH_FOUND = rule(
    "pth.found", "pth",
    "A ._pth file next to the executable (or the real executable) was read: it replaces "
    "sys.path, its directory becomes home, and the interpreter runs isolated.",
    "getpath.py 'DETECT _pth FILE' (3.11+ POSIX, bpo-46049; name = file name + '._pth')")
R_PTH_IMPORT_SITE = rule(
    "pth.import-site", "pth",
    "The ._pth file says 'import site', so site is imported after all.",
    "getpath.py 'SET pythonpath FROM _PTH FILE'")
R_PTH_BAD_IMPORT = rule(
    "pth.unsupported-import", "pth",
    "A ._pth line starts with 'import ' but is not 'import site': warned and ignored.",
    "getpath.py \"unsupported 'import' line in ._pth file\"")


def detect(calc: Calc) -> None:
    if calc.home_was_set:
        return
    library = calc.inputs.build.library if calc.ask("library_known") else None
    for base in (library, calc.executable, calc.real_executable):
        if not base:
            continue
        path = base + "._pth"
        try:
            lines = calc.readlines(path)
        except h.TooLarge:
            raise getpath_error(calc, "MemoryError: {file!r} is 32 KiB or larger", file=path)
        if isinstance(lines, Errno):  # getpath.py: 'except OSError: pass'
            continue
        calc.pth = lines
        calc.pth_dir = calc.dirname(path)
        calc.step(R_PTH_FOUND, "{file!r} ({lines} lines)", versioned=True, file=path,
                  lines=len(lines))
        break
    if calc.pth_dir:
        calc.use_environment = False
        calc.home = calc.pth_dir


def apply(calc: Calc) -> None:
    """Replace the module search path with the file's entries and set the flags it implies."""
    if not calc.pth:
        return
    calc.isolated = True
    calc.use_environment = False
    calc.site_import = False
    calc.safe_path = True
    paths: list[str] = []
    for raw in calc.pth:
        line = raw.partition("#")[0].strip()
        if not line:
            continue
        if line == "import site":
            calc.site_import = True
            calc.step(R_PTH_IMPORT_SITE, "site will be imported")
        elif line.startswith("import "):
            calc.warn("unsupported 'import' line in ._pth file")
            calc.step(R_PTH_BAD_IMPORT, "{line!r}", line=line)
        else:
            paths.append(h.joinpath(calc.pth_dir, line))
    calc.module_search_paths = paths
