"""Stage: site.py's venv() — the one part of site that changes the prefixes (3.8-3.13).

When site is imported (no -S, or a ._pth file's 'import site'), site.venv() looks for a
pyvenv.cfg next to sys.executable or one directory up and, if there is one, makes sys.prefix
and sys.exec_prefix the executable directory's parent — whatever getpath found, even for a
pyvenv.cfg without a home key.  The rest of site (site-packages, .pth files, the user site)
is issue 3: until it lands, `path` is exact only when site is not imported.
"""

from __future__ import annotations

from prefixlab.model.getpath.context import Calc, StartupFailed
from prefixlab.model.trace import rule

R_SITE_VENV = rule(
    "site.venv", "site",
    "site.py finds a pyvenv.cfg next to sys.executable (or one directory up) and makes "
    "sys.prefix and sys.exec_prefix the executable directory's parent; base_prefix stays the "
    "installation getpath found.",
    "Lib/site.py venv() (3.8-3.13; 3.14 leaves it to getpath, gh-126985)")
R_SITE_NO_VENV = rule(
    "site.no-venv", "site",
    "site.py finds no pyvenv.cfg next to sys.executable or one directory up: not a venv.",
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


def posix_normpath(path: str) -> str:
    """posixpath.normpath (not getpath's _Py_normpath: '' is '.', '//' at the start kept)."""
    if not path:
        return "."
    slashes = 2 if path.startswith("//") and not path.startswith("///") else (
        1 if path.startswith("/") else 0)
    kept: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part != ".." or (not slashes and not kept) or (kept and kept[-1] == ".."):
            kept.append(part)
        elif kept:
            kept.pop()
    return "/" * slashes + "/".join(kept) or "."


def posix_abspath(path: str, cwd: str) -> str:
    return posix_normpath(path if path.startswith("/") else f"{cwd}/{path}" if path else cwd)


def posix_dirname(path: str) -> str:
    head = path[:path.rfind("/") + 1]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head


def posix_join(directory: str, name: str) -> str:
    return directory + name if directory.endswith("/") or not directory else f"{directory}/{name}"


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
        calc.step(R_SITE_PATHS, f"{calc.module_search_paths!r} -> {kept!r}")
    calc.module_search_paths = kept


def venv(calc: Calc) -> None:
    """site.venv()'s effect on sys.prefix and sys.exec_prefix (3.8-3.13)."""
    exe_dir = posix_dirname(posix_abspath(calc.executable or "", calc.cwd))
    site_prefix = posix_dirname(exe_dir)
    for candidate in (posix_join(exe_dir, "pyvenv.cfg"), posix_join(site_prefix, "pyvenv.cfg")):
        if calc.isfile(candidate):
            break
    else:
        calc.step(R_SITE_NO_VENV, f"looked in {exe_dir!r} and {site_prefix!r}")
        return
    data = calc.read_bytes(candidate)
    if isinstance(data, bytes):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            calc.step(R_SITE_CFG_UNDECODABLE, repr(candidate))
            raise StartupFailed("site-error", "init_import_site: Failed to import the site "
                                "module") from None
    calc.base_prefix = calc.base_prefix or calc.prefix
    calc.base_exec_prefix = calc.base_exec_prefix or calc.exec_prefix
    calc.prefix = calc.exec_prefix = site_prefix
    calc.step(R_SITE_VENV, f"{candidate!r}: sys.prefix = sys.exec_prefix = {site_prefix!r}",
              versioned=True)
