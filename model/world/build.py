"""Interpreter build constants and the per-version behaviour table.

A stage never asks "is this 3.11 or later?": it asks the behaviour row a named question
("is argv[0] normalised before it is made absolute?"), and the trace names the row that
answered.  Rows are per minor version, refined by patch level where a point release changed
behaviour.  Each field says where the fact comes from.
"""

from __future__ import annotations

from typing import Literal

from prefixlab.model.errors import NotModelled
from prefixlab.model.speedups import dataclass, field_names, replace

Version = tuple[int, int, int]

OUT_OF_SCOPE_BEFORE: Version = (3, 8, 0)


@dataclass(frozen=True)
class BuildConstants:
    """What an interpreter binary was compiled with: the inputs getpath takes from the build."""

    version: Version
    prefix: str
    """configure's PREFIX, compiled in."""
    exec_prefix: str
    """configure's EXEC_PREFIX, compiled in."""
    platlibdir: str = "lib"
    """configure's PLATLIBDIR (3.9+; 3.8 always uses lib)."""
    vpath: str = ""
    """The VPATH macro: the source dir relative to the build dir (build trees only)."""
    pythonpath: str = ""
    """The compiled PYTHONPATH macro (normally empty)."""
    abi_thread: str = ""
    """'t' on free-threaded builds (3.13+), else ''."""
    os_name: Literal["posix", "darwin"] = "posix"
    flavour: Literal["upstream", "debian"] = "upstream"
    """Distribution patches that change start-up (Debian's site.py); getpath is upstream's."""
    shared: bool = False
    """Py_ENABLE_SHARED: libpython is a shared library."""
    library: str | None = None
    """Where libpython is loaded from (dladdr), for 3.14 shared builds; None if static."""
    missing_library: str | None = None
    """A shared build's libpython (its DT_NEEDED name) that the dynamic loader finds nowhere
    from where this binary lies (a ``venv --copies`` copy of a build whose RUNPATH is
    ``$ORIGIN/../lib``): the binary never reaches ``main``; ld.so writes "error while
    loading shared libraries" and exits with status 127 (ld.so(8); glibc ld.so's
    fatal_error, elf/dl-error-skeleton.c, and _dl_fatal_printf, elf/dl-printf.c).
    A fact of the binary's place, like ``library``; None when it loads."""
    confirmed: bool = True
    """False for builds we could not run (3.14 here): the row is modelled from source only."""
    debug: bool = False
    """Py_DEBUG: a debug build (frozen stdlib modules are off by default, 3.11+)."""
    abiflags: str = ""
    """sys.abiflags (sysconfig's include directory ends with it)."""
    srcdir: str = "."
    """The Makefile's srcdir as built (_sysconfigdata): in a build tree sysconfig's include
    is <Makefile dir>/<srcdir>/Include."""
    builtin_modules: tuple[str, ...] = ()
    """sys.builtin_module_names: modules compiled into the binary (BuiltinImporter)."""
    frozen_modules: tuple[tuple[str, str, bool], ...] = ()
    """(name, original name, is a package) of each frozen module (FrozenImporter); the
    original name differs for aliases ('_frozen_importlib' is 'importlib._bootstrap'; a
    leading '<' marks a package's __init__), as _imp.find_frozen reports it (3.11+)."""
    frozen_always: tuple[str, ...] = ()
    """The frozen modules used even when frozen modules are off (the import bootstrap)."""
    extension_suffixes: tuple[str, ...] = ()
    """importlib.machinery.EXTENSION_SUFFIXES, in the order FileFinder tries them."""

    @property
    def minor(self) -> tuple[int, int]:
        return self.version[:2]

    @property
    def version_text(self) -> str:
        return "%d.%d.%d" % self.version

    @property
    def stdlib_subdir(self) -> str:
        """lib/pythonX.Y (3.8 ignores PLATLIBDIR, which it does not have)."""
        return f"{self.platlibdir}/python{self.version[0]}.{self.version[1]}{self.abi_thread}"


Arrangement = Literal["c-getpath", "py-getpath"]


@dataclass(frozen=True)
class Behaviour:
    """The start-up behaviours of one CPython version range, each a named, cited fact."""

    name: str
    """The row's name, as the trace prints it: '3.12', '3.11.0', ..."""
    arrangement: Arrangement
    """3.8-3.10 run Modules/getpath.c, 3.11+ the frozen Modules/getpath.py (bpo-45582).
    The C arrangement follows the executable's links before reading pyvenv.cfg (in the
    resolved directory first, with _Py_FindEnvConfigValue's strict 'home = value' syntax),
    makes argv[0] and $PATH hits absolute without normalising them (copy_absolute), keeps
    PYTHONPATH entries raw, has no zip landmark, no ._pth files on POSIX, no launcher
    variables on Linux, and copies sys.executable into sys._base_executable.  The Python
    arrangement normalises argv[0] before absolutising it, keeps $PATH hits as joined, reads
    pyvenv.cfg leniently (parent directory first, unresolved), and derives base_executable
    from its home key (bpo-46028)."""
    has_platlibdir: bool = True
    """--with-platlibdir and PYTHONPLATLIBDIR exist (3.9+, bpo-1294959)."""
    link_limit: int | None = 40
    """Links the final-component resolver follows before giving up (3.8: no limit;
    3.9-3.10 resolve_symlinks and 3.11+ getpath_realpath stop at 40)."""
    launcher_base_is_real: bool = True
    """With a launcher variable, base_executable = real_executable or executable
    (3.13+, gh-117786); 3.11-3.12 use executable."""
    venv_cfg_permission_error_caught: bool = True
    """3.11.1+ catch PermissionError as well as FileNotFoundError (gh-96005)."""
    venv_cfg_parent_of_file: bool = False
    """3.8: the second pyvenv.cfg is '<argv0_path>/pyvenv.cfg' reduced twice, then joined
    (Modules/getpath.c calculate_read_pyenv), so an argv0_path ending in '/' (a program
    written 'bin//python') still reaches the venv; 3.9-3.10 reduce argv0_path once
    (calculate_open_pyenv) and look in it again."""
    base_executable_fallback_names: bool = True
    """3.11.1+ try python3 and python3.X in home when home/<name> is missing (gh-99204)."""
    landmark_overrides_stdlib_dir: bool = False
    """3.11.0-3.11.1: finding os.py replaces a stdlib_dir already set by build-tree detection;
    3.11.2+ keep it (gh-101543, GH-101544)."""
    path_helpers_utf8_strict: bool = False
    """3.11.0: getpath's dirname() and basename() encode the path to UTF-8 (strict), so a path
    holding bytes that are not UTF-8 fails start-up ('error evaluating path'); 3.11.1+ work on
    the str (gh-94526, PR 97645; Misc/NEWS.d/3.11.1.rst)."""
    venv_zip_from_prefix: bool = True
    """3.11.1+ build the zip entry from prefix inside a venv (gh-99370); 3.11.0 used PREFIX."""
    safe_path_option: bool = True
    """-P and PYTHONSAFEPATH exist (3.11+, gh-57684)."""
    site_sets_venv_prefix: bool = True
    """site.venv() assigns sys.prefix = sys.exec_prefix = the venv (3.8-3.13); 3.14's site only
    warns when getpath's answer differs (gh-126985)."""
    venv_prefix_in_getpath: bool = False
    """3.14 sets prefix to the venv in getpath (gh-126985); before, site.py does it."""
    home_disables_venv: bool = True
    """PYTHONHOME skips pyvenv.cfg entirely (3.11-3.13); 3.14 only ignores its home key
    (gh-126985, PR 127968)."""
    venv_without_home: bool = False
    """3.14: a pyvenv.cfg without home still anchors the venv (gh-135773, PR 135831)."""
    exec_prefix_prefers_prefix: bool = False
    """3.14: exec_prefix = prefix when prefix has lib-dynload (GH-66409, PR 127974)."""
    library_known: bool = False
    """3.14 learns libpython's path on shared builds (GH-127970, PR 127972)."""
    realpath_warning_names_real: bool = False
    """3.14 names real_executable in 'Failed to find real location of ...'; before,
    base_executable (CPython Modules/getpath.py, the warning of the realpath() of
    real_executable: 3.11-3.13 format base_executable, 3.14 real_executable)."""
    free_threading: bool = False
    """ABI_THREAD ('t' suffix on lib/python3.13t) exists (3.13+, gh-121103)."""
    pth_skips_dot_names: bool = False
    """site.addsitedir() skips .pth files whose names start with '.' (gh-113659: 3.8.19,
    3.9.19, 3.10.14, 3.11.8, 3.12.2, 3.13; Debian's 3.11.2 does not have it)."""
    pth_reader: Literal["locale-text", "utf8-sig-bytes"] = "locale-text"
    """How site.addpackage() reads a .pth file: 3.8-3.12.3 iterate a text file in the locale
    encoding (universal newlines; a decode error escapes and site fails to import); 3.13,
    and 3.12.4 by backport (PR 117917; Misc/NEWS.d/3.12.4.rst), decode the bytes as
    utf-8-sig, fall back to locale.getencoding(), and split with str.splitlines()
    (gh-77102)."""
    frozen_stdlib: bool = True
    """Part of the stdlib is frozen and used unless frozen modules are off: -X frozen_modules
    (on by default, off in debug builds; 3.11+, bpo-45020).  3.8-3.10 freeze only the import
    bootstrap and test modules, always used."""
    frozen_modules_env: bool = False
    """PYTHON_FROZEN_MODULES=on|off sets the default that -X frozen_modules overrides (3.13+,
    gh-111374; Python/initconfig.c config_init_import)."""
    import_abspath_strips_dot: bool = False
    """FileFinder makes a relative sys.path entry absolute after removing one leading './'
    (importlib._bootstrap_external._path_abspath, 3.12+); before, './x' is joined as is."""
    venv_install_scheme: bool = True
    """sysconfig.get_preferred_scheme('prefix') is 'venv' when sys.prefix != sys.base_prefix
    (3.11+, bpo-45413); before, posix_prefix everywhere."""
    site_imports: tuple[str, ...] = (
        "site", "os", "stat", "posixpath", "genericpath", "_collections_abc", "_sitebuiltins")
    """Stdlib modules importing site loads (frozen from 3.11 unless frozen modules are off,
    bpo-45020; from sys.path before): a copy found ahead of the stdlib's is what runs.  3.8
    and 3.9 also load _bootlocale to read .pth files (removed in 3.10, bpo-42208).  Seen with
    `python -I -c 'print(sys.modules)'` on 3.8.18-3.13.0."""
    runpy_imports: tuple[str, ...] = ("runpy", "os", "types", "io", "importlib")
    """Top-level modules -m loads through runpy after sys.path[0] is in place (frozen from
    3.11 except types and io's users; 3.8 and 3.9 also import pkgutil at the top of runpy,
    which 3.10 made lazy).  Read from Lib/runpy.py of each version."""
    site_venv_prefix_warning: int | None = None
    """3.14's site.venv() warns when getpath's sys.prefix or sys.exec_prefix is not the venv
    (gh-126985): the warning is reported at this line of the frozen site module
    ('<frozen site>:101: RuntimeWarning: ...', seen in 3.14 reports; not confirmed here)."""
    site_appends_base_prefixes: bool = False
    """3.14's site.venv() keeps system site-packages by appending sys.base_prefix and
    sys.base_exec_prefix to PREFIXES (gh-128779, PR 129184); before, it puts the venv first."""
    stderr_line_buffered: bool = True
    """sys.stderr is line-buffered even when it is not a terminal (3.9+, bpo-13601); 3.8
    buffers a pipe's stderr in blocks, so what Python code printed is lost when start-up
    then fails fatally (prefixlab's warnings are those of a stderr that is a pipe)."""
    venv_versioned_link: bool = True
    """stdlib venv adds bin/python3.X beside python and python3 (3.9+; 3.8's setup_python
    links only python and python3: Lib/venv/__init__.py, seen with 3.8.18)."""
    venv_prompt_dot_is_cwd: bool = True
    """--prompt . means the working directory's name (3.9+, bpo-38901); 3.8 takes it as is."""
    venv_prompt_parenthesised: bool = True
    """The activation scripts' __VENV_PROMPT__ is '(PROMPT) ' (3.8-3.12 ensure_directories);
    3.13's templates add the parentheses themselves and get the bare prompt."""
    venv_dirs_from_scheme: bool = True
    """bin, include and site-packages come from sysconfig's venv scheme, so include/python3.X
    is made (3.11+, bpo-45413 _venv_path); 3.8-3.10 make an empty include/ and
    lib/python3.X/site-packages by hand."""
    venv_cfg_executable_command: bool = True
    """pyvenv.cfg ends with 'executable = realpath(sys.executable)' and 'command = ...'
    (3.11+ create_configuration); 3.8-3.10 write home, include-system-site-packages, version
    and prompt only."""
    venv_gitignore: bool = False
    """The venv command writes a .gitignore holding '*' (3.13+, gh-108125; the CLI default,
    --without-scm-ignore-files turns it off)."""
    confirmed: bool = True
    """False when no interpreter of this row could be run here (modelled from source)."""

    def refine(self, name: str, **changes: object) -> Behaviour:
        return replace(self, name=name, **changes)  # type: ignore[arg-type]


_C_GETPATH = Behaviour(
    name="3.10",
    arrangement="c-getpath",
    launcher_base_is_real=False,
    base_executable_fallback_names=False,
    safe_path_option=False,
    frozen_stdlib=False,
    venv_install_scheme=False,
    venv_dirs_from_scheme=False,
    venv_cfg_executable_command=False,
)

_PY_GETPATH = Behaviour(name="3.12", arrangement="py-getpath", launcher_base_is_real=False)

_SITE_IMPORTS_BOOTLOCALE = (*_C_GETPATH.site_imports, "_bootlocale")
_RUNPY_IMPORTS_PKGUTIL = (*_C_GETPATH.runpy_imports, "pkgutil")

# One row per minor version; a tuple of (first patch level, row) where a point release
# changed behaviour.  Order matters: the last row whose version is <= the build's wins.
TABLE: tuple[tuple[Version, Behaviour], ...] = (
    ((3, 8, 0), _C_GETPATH.refine("3.8", has_platlibdir=False, link_limit=None,
                                 venv_cfg_parent_of_file=True,
                                 site_imports=_SITE_IMPORTS_BOOTLOCALE,
                                 runpy_imports=_RUNPY_IMPORTS_PKGUTIL,
                                 stderr_line_buffered=False, venv_versioned_link=False,
                                 venv_prompt_dot_is_cwd=False)),
    ((3, 8, 19), _C_GETPATH.refine("3.8.19", has_platlibdir=False, link_limit=None,
                                   venv_cfg_parent_of_file=True,
                                   site_imports=_SITE_IMPORTS_BOOTLOCALE,
                                   runpy_imports=_RUNPY_IMPORTS_PKGUTIL,
                                   stderr_line_buffered=False,
                                   pth_skips_dot_names=True, confirmed=False,
                                   venv_versioned_link=False,
                                   venv_prompt_dot_is_cwd=False)),
    ((3, 9, 0), _C_GETPATH.refine("3.9", site_imports=_SITE_IMPORTS_BOOTLOCALE,
                                 runpy_imports=_RUNPY_IMPORTS_PKGUTIL)),
    ((3, 9, 19), _C_GETPATH.refine("3.9.19", site_imports=_SITE_IMPORTS_BOOTLOCALE,
                                   runpy_imports=_RUNPY_IMPORTS_PKGUTIL,
                                   pth_skips_dot_names=True, confirmed=False)),
    ((3, 10, 0), _C_GETPATH.refine("3.10")),
    ((3, 10, 14), _C_GETPATH.refine("3.10.14", pth_skips_dot_names=True, confirmed=False)),
    ((3, 11, 0), _PY_GETPATH.refine("3.11.0", venv_cfg_permission_error_caught=False,
                                    base_executable_fallback_names=False,
                                    venv_zip_from_prefix=False,
                                    landmark_overrides_stdlib_dir=True,
                                    path_helpers_utf8_strict=True, confirmed=False)),
    ((3, 11, 1), _PY_GETPATH.refine("3.11.1", landmark_overrides_stdlib_dir=True,
                                    confirmed=False)),
    ((3, 11, 2), _PY_GETPATH.refine("3.11")),
    ((3, 11, 8), _PY_GETPATH.refine("3.11.8", pth_skips_dot_names=True, confirmed=False)),
    ((3, 12, 0), _PY_GETPATH.refine("3.12", import_abspath_strips_dot=True)),
    ((3, 12, 2), _PY_GETPATH.refine("3.12.2", pth_skips_dot_names=True, confirmed=False,
                                    import_abspath_strips_dot=True)),
    ((3, 12, 4), _PY_GETPATH.refine("3.12.4", pth_skips_dot_names=True, confirmed=False,
                                    import_abspath_strips_dot=True,
                                    pth_reader="utf8-sig-bytes")),
    ((3, 13, 0), _PY_GETPATH.refine("3.13", launcher_base_is_real=True, free_threading=True,
                                    pth_skips_dot_names=True, pth_reader="utf8-sig-bytes",
                                    import_abspath_strips_dot=True, frozen_modules_env=True,
                                    venv_prompt_parenthesised=False, venv_gitignore=True)),
    ((3, 14, 0), _PY_GETPATH.refine(
        "3.14", launcher_base_is_real=True, free_threading=True, venv_prefix_in_getpath=True,
        site_sets_venv_prefix=False,
        home_disables_venv=False, venv_without_home=True, exec_prefix_prefers_prefix=True,
        library_known=True, realpath_warning_names_real=True, pth_skips_dot_names=True,
        pth_reader="utf8-sig-bytes", import_abspath_strips_dot=True, frozen_modules_env=True,
        site_venv_prefix_warning=101, site_appends_base_prefixes=True,
        venv_prompt_parenthesised=False, venv_gitignore=True, confirmed=False)),
)

FIELD_NAMES: tuple[str, ...] = tuple(
    f for f in field_names(Behaviour) if f not in ("name", "confirmed")
)


class UnsupportedVersion(NotModelled, ValueError):
    """A CPython version outside what the model covers."""


def behaviour_for(version: Version) -> Behaviour:
    """The behaviour row for an interpreter version (3.8 and later)."""
    if version < OUT_OF_SCOPE_BEFORE:
        raise UnsupportedVersion(f"CPython {'%d.%d.%d' % version} is older than 3.8: out of scope")
    if version[:2] > TABLE[-1][0][:2]:
        raise UnsupportedVersion(f"CPython {'%d.%d.%d' % version} is newer than the model (3.14)")
    row = TABLE[0][1]
    for since, candidate in TABLE:
        if since <= version:
            row = candidate
    return row


def in_scope(version: Version) -> bool:
    return OUT_OF_SCOPE_BEFORE <= version and version[:2] <= TABLE[-1][0][:2]

