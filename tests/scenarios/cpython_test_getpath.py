"""CPython's ``Lib/test/test_getpath.py`` POSIX cases, as scenarios.

Each scenario is one ``MockGetPathTests`` method on the POSIX mock (``os_name='posix'``); each
of its runs is what one CPython version's copy of the test asserts.  Expected values are
copied from the tests' assertions (facts from an independent oracle); layouts, build
constants and commands are re-expressed in this project's terms.

Sources (each file was read whole; "identical" means the POSIX methods compare equal):

* 3.11.0: deadsnakes/python3.11, tag ``upstream/3.11.0`` (21 tests; the venv zip and
  ``--copies`` cases do not exist yet).
* 3.11.1 to 3.11.10: tags ``upstream/3.11.1`` ... ``upstream/3.11.10`` (24 tests; 3.11.2
  changed Windows expectations only).
* 3.12.0 to 3.12.6: deadsnakes/python3.12, tags ``upstream/3.12.x`` (24 tests).
* 3.13.0: deadsnakes/python3.13 ``upstream/3.13.0_rc1`` / ``_rc2`` and the installed 3.13.0
  (identical; 25 tests, adds ``test_explicitly_set_stdlib_dir``).
* 3.14: 3.14.0rc1 from Zajkls/RandomPython@3b510a79 (a copy whose Python keywords were
  replaced by joke words; restored mechanically through that tree's own ``Lib/keyword.py``
  list, after which the file parses and passes against the same tree's restored getpath.py),
  cross-checked against the clean 3.14-era copy jamesclement1776/cpython@39cba75f, whose
  POSIX assertions are the same (27 tests; adds ``test_venv_posix_without_home_key`` and
  ``test_PYTHONHOME_in_venv``).  No authoritative post-rc1 3.14 copy was available.

Not transcribed: the ``*_win32`` and ``*_macos`` methods (``os_name`` 'nt' / 'darwin', not in
the model's scope), and ``test_preseeded_path_adds_platstdlib``, found only in the
jamesclement1776 fork, not in 3.14.0rc1 (provenance unknown; it presets
``config['module_search_paths']``, which a command cannot do).
"""

from __future__ import annotations

from collections.abc import Mapping

from prefixlab.model.world.build import Version

from scenarios import Build, Run, Scenario

V3110: Version = (3, 11, 0)
V3111: Version = (3, 11, 1)
V312: Version = (3, 12, 0)
V313: Version = (3, 13, 0)
V314: Version = (3, 14, 0)

_SOURCE = {
    V3110: "CPython 3.11.0 Lib/test/test_getpath.py",
    V3111: "CPython 3.11.1-3.11.10 Lib/test/test_getpath.py (identical POSIX assertions)",
    V312: "CPython 3.12.0-3.12.6 Lib/test/test_getpath.py (identical POSIX assertions)",
    V313: "CPython 3.13.0 Lib/test/test_getpath.py",
    V314: "CPython 3.14.0rc1 Lib/test/test_getpath.py (Zajkls/RandomPython@3b510a79, "
          "keywords restored; same in jamesclement1776/cpython@39cba75f)",
}

UP_TO_313 = (V3110, V3111, V312, V313)
SINCE_3111_TO_313 = (V3111, V312, V313)


def asserted(test: str, expected: Mapping[str, object], *versions: Version) -> tuple[Run, ...]:
    """One run per version, each citing that version's copy of ``test``."""
    return tuple(Run(v, f"{_SOURCE[v]}::{test}", expected) for v in versions)


USR_PATHS = [
    "/usr/lib/python98.zip",
    "/usr/lib/python9.8",
    "/usr/lib/python9.8/lib-dynload",
]
"""The search path of a /usr install of the sentinel version 9.8."""

BUILD_TREE_PATHS = [
    "/usr/local/lib/python98.zip",
    "/home/cpython/Lib",
    "/home/cpython/build/lib.linux-x86_64-9.8",
]
"""A build tree at /home/cpython configured with PREFIX=/usr/local."""

NON_INSTALLED_PATHS = [
    "/path/to/non-installed/lib/python98.zip",
    "/path/to/non-installed/lib/python9.8",
    "/path/to/non-installed/lib/python9.8/lib-dynload",
]

USR_STDLIB = {"/usr/lib/python9.8/os.py": ()}
USR_DYNLOAD = ("/usr/lib/python9.8/lib-dynload",)
VENV_CFG_USR_BIN = {"/venv/pyvenv.cfg": ("home = /usr/bin",)}

# -- test_normal_posix ------------------------------------------------------------------------
NORMAL = Scenario(
    name="test_normal_posix",
    summary="A /usr install started as a bare name found on PATH.",
    build=Build(prefix="/usr"),
    interpreters=("/usr/bin/python",),
    executables=("/usr/bin/python",),
    files=USR_STDLIB,
    dirs=USR_DYNLOAD,
    program="python",
    argv0="python",
    env={"PATH": "/usr/bin"},
    runs=asserted("test_normal_posix", {
        "executable": "/usr/bin/python",
        "base_executable": "/usr/bin/python",
        "prefix": "/usr",
        "exec_prefix": "/usr",
        "module_search_paths_set": 1,
        "module_search_paths": USR_PATHS,
    }, *UP_TO_313, V314),
)

# -- test_buildpath_posix ---------------------------------------------------------------------
BUILD_TREE_FILES: Mapping[str, tuple[str, ...]] = {
    "/home/cpython/pybuilddir.txt": ("build/lib.linux-x86_64-9.8",),
    "/home/cpython/Lib/os.py": (),
}

BUILDPATH = Scenario(
    name="test_buildpath_posix",
    summary="Started from a build tree: pybuilddir.txt next to the binary names the "
            "extension-module directory, the stdlib is the tree's Lib/, and prefix / "
            "exec_prefix are reported as the configured PREFIX.",
    build=Build(prefix="/usr/local"),
    interpreters=("/home/cpython/python", "/usr/local/bin/python"),
    executables=("/home/cpython/python", "/usr/local/bin/python"),
    files=BUILD_TREE_FILES,
    dirs=("/home/cpython/lib-dynload",),
    program="/home/cpython/python",
    argv0="/home/cpython/python",
    runs=asserted("test_buildpath_posix", {
        "executable": "/home/cpython/python",
        "prefix": "/usr/local",
        "exec_prefix": "/usr/local",
        "base_executable": "/home/cpython/python",
        "build_prefix": "/home/cpython",
        "_is_python_build": 1,
        "module_search_paths_set": 1,
        "module_search_paths": BUILD_TREE_PATHS,
    }, *UP_TO_313, V314),
    mock_notes=("EXEC_PREFIX is unset (empty) in the mock; the expected exec_prefix comes "
                "from the build-tree reset 'EXEC_PREFIX or prefix'.",),
)

# -- test_venv_posix --------------------------------------------------------------------------
VENV = Scenario(
    name="test_venv_posix",
    summary="A venv whose python is a copy; pyvenv.cfg's home is /usr/bin, where a python "
            "of the same name exists.",
    build=Build(prefix="/usr"),
    interpreters=("/usr/bin/python", "/venv/bin/python"),
    executables=("/usr/bin/python", "/venv/bin/python"),
    files={**USR_STDLIB, **VENV_CFG_USR_BIN},
    dirs=USR_DYNLOAD,
    program="python",
    argv0="python",
    env={"PATH": "/venv/bin:/usr/bin"},
    runs=asserted("test_venv_posix", {
        "executable": "/venv/bin/python",
        "prefix": "/usr",
        "exec_prefix": "/usr",
        "base_executable": "/usr/bin/python",
        "base_prefix": "/usr",
        "base_exec_prefix": "/usr",
        "module_search_paths_set": 1,
        "module_search_paths": USR_PATHS,
    }, *UP_TO_313) + asserted("test_venv_posix", {
        "executable": "/venv/bin/python",
        "prefix": "/venv",
        "exec_prefix": "/venv",
        "base_executable": "/usr/bin/python",
        "base_prefix": "/usr",
        "base_exec_prefix": "/usr",
        "module_search_paths_set": 1,
        "module_search_paths": USR_PATHS,
    }, V314),
    mock_notes=("The venv's python is a copy (a regular file), so both binaries carry the "
                "build constants.",),
)

# -- test_venv_posix_without_home_key (3.14) --------------------------------------------------
VENV_WITHOUT_HOME = Scenario(
    name="test_venv_posix_without_home_key",
    summary="An empty pyvenv.cfg next to a venv whose python3 links to /usr/bin/python3: "
            "3.14 still makes the venv the prefix and finds the base through the link.",
    build=Build(prefix="/usr"),
    interpreters=("/usr/bin/python3",),
    executables=("/usr/bin/python3", "/venv/bin/python3"),
    links={"/venv/bin/python3": "/usr/bin/python3"},
    files={"/venv/pyvenv.cfg": ()},
    program="/venv/bin/python3",
    argv0="/venv/bin/python3",
    env={"PATH": "/usr/bin"},
    runs=asserted("test_venv_posix_without_home_key", {
        "executable": "/venv/bin/python3",
        "prefix": "/venv",
        "base_prefix": "/usr",
    }, V314),
    mock_notes=("The mock registers /venv/bin/python3 both as an executable file and as a "
                "link; here it is the link only.",
                "No stdlib exists anywhere: base_prefix is the compiled-in PREFIX reached "
                "after the search fails (with warnings, which the test does not assert).",),
)

# -- test_venv_changed_name_posix -------------------------------------------------------------
VENV_CHANGED_NAME = Scenario(
    name="test_venv_changed_name_posix",
    summary="A venv's python links to /usr/bin/python3 (another name): the base executable "
            "is the link's target, not home/python.",
    build=Build(prefix="/usr"),
    interpreters=("/usr/bin/python3",),
    executables=("/usr/bin/python3", "/venv/bin/python"),
    links={"/venv/bin/python": "/usr/bin/python3"},
    files={**USR_STDLIB, **VENV_CFG_USR_BIN},
    dirs=USR_DYNLOAD,
    program="python",
    argv0="python",
    env={"PATH": "/venv/bin:/usr/bin"},
    runs=asserted("test_venv_changed_name_posix", {
        "executable": "/venv/bin/python",
        "prefix": "/usr",
        "exec_prefix": "/usr",
        "base_executable": "/usr/bin/python3",
        "base_prefix": "/usr",
        "base_exec_prefix": "/usr",
        "module_search_paths_set": 1,
        "module_search_paths": USR_PATHS,
    }, *UP_TO_313) + asserted("test_venv_changed_name_posix", {
        "executable": "/venv/bin/python",
        "prefix": "/venv",
        "exec_prefix": "/venv",
        "base_executable": "/usr/bin/python3",
        "base_prefix": "/usr",
        "base_exec_prefix": "/usr",
        "module_search_paths_set": 1,
        "module_search_paths": USR_PATHS,
    }, V314),
    mock_notes=("The mock registers /venv/bin/python both as an executable file and as a "
                "link; here it is the link only (PATH search's isxfile follows it to an "
                "executable file, as the mock's answer says).",),
)

# -- test_venv_non_installed_zip_path_posix (3.11.1+) -----------------------------------------
VENV_NON_INSTALLED = Scenario(
    name="test_venv_non_installed_zip_path_posix",
    summary="A venv made from an interpreter that was never installed (PREFIX=/usr has no "
            "stdlib): the zip entry follows the found prefix, not PREFIX (gh-99370).",
    build=Build(prefix="/usr"),
    interpreters=("/path/to/non-installed/bin/python",),
    executables=("/path/to/non-installed/bin/python", "/venv/bin/python"),
    links={"/venv/bin/python": "/path/to/non-installed/bin/python"},
    files={"/path/to/non-installed/lib/python9.8/os.py": (),
           "/venv/pyvenv.cfg": ("home = /path/to/non-installed",)},
    dirs=("/path/to/non-installed/lib/python9.8/lib-dynload",),
    program="/venv/bin/python",
    argv0="/venv/bin/python",
    env={"PATH": "/venv/bin:/usr/bin"},
    runs=asserted("test_venv_non_installed_zip_path_posix", {
        "executable": "/venv/bin/python",
        "prefix": "/path/to/non-installed",
        "exec_prefix": "/path/to/non-installed",
        "base_executable": "/path/to/non-installed/bin/python",
        "base_prefix": "/path/to/non-installed",
        "base_exec_prefix": "/path/to/non-installed",
        "module_search_paths_set": 1,
        "module_search_paths": NON_INSTALLED_PATHS,
    }, *SINCE_3111_TO_313) + asserted("test_venv_non_installed_zip_path_posix", {
        "executable": "/venv/bin/python",
        "prefix": "/venv",
        "exec_prefix": "/venv",
        "base_executable": "/path/to/non-installed/bin/python",
        "base_prefix": "/path/to/non-installed",
        "base_exec_prefix": "/path/to/non-installed",
        "module_search_paths_set": 1,
        "module_search_paths": NON_INSTALLED_PATHS,
    }, V314),
    mock_notes=("The mock registers /venv/bin/python both as an executable file and as a "
                "link; here it is the link only.",
                "home names the install's root, not its bin/: the upward search starts "
                "there and finds lib/python9.8/os.py at once.",),
)

# -- test_venv_changed_name_copy_posix (3.11.1+) ----------------------------------------------
VENV_CHANGED_NAME_COPY = Scenario(
    name="test_venv_changed_name_copy_posix",
    summary="A copied venv python whose name does not exist in home: the base executable "
            "falls back to python<major> there (gh-99204).",
    build=Build(prefix="/usr"),
    interpreters=("/usr/bin/python9", "/venv/bin/python"),
    executables=("/usr/bin/python9", "/venv/bin/python"),
    files={**USR_STDLIB, **VENV_CFG_USR_BIN},
    dirs=USR_DYNLOAD,
    program="python",
    argv0="python",
    env={"PATH": "/venv/bin:/usr/bin"},
    runs=asserted("test_venv_changed_name_copy_posix", {
        "executable": "/venv/bin/python",
        "prefix": "/usr",
        "exec_prefix": "/usr",
        "base_executable": "/usr/bin/python9",
        "base_prefix": "/usr",
        "base_exec_prefix": "/usr",
        "module_search_paths_set": 1,
        "module_search_paths": USR_PATHS,
    }, *SINCE_3111_TO_313) + asserted("test_venv_changed_name_copy_posix", {
        "executable": "/venv/bin/python",
        "prefix": "/venv",
        "exec_prefix": "/venv",
        "base_executable": "/usr/bin/python9",
        "base_prefix": "/usr",
        "base_exec_prefix": "/usr",
        "module_search_paths_set": 1,
        "module_search_paths": USR_PATHS,
    }, V314),
    mock_notes=("DEFAULT_PROGRAM_NAME is python<VERSION_MAJOR>, so with the sentinel build the "
                "fallback name is python9 (then python9.8).",),
)

# -- test_symlink_normal_posix ----------------------------------------------------------------
SYMLINK_NORMAL = Scenario(
    name="test_symlink_normal_posix",
    summary="Started through a link from another directory: the prefix is found from the "
            "link's target, while executable and base_executable keep the link's path.",
    build=Build(prefix="/usr"),
    interpreters=("/usr/bin/python",),
    executables=("/linkfrom/python", "/usr/bin/python"),
    links={"/linkfrom/python": "/usr/bin/python"},
    files=USR_STDLIB,
    dirs=USR_DYNLOAD,
    program="/linkfrom/python",
    argv0="/linkfrom/python",
    runs=asserted("test_symlink_normal_posix", {
        "executable": "/linkfrom/python",
        "base_executable": "/linkfrom/python",
        "prefix": "/usr",
        "exec_prefix": "/usr",
        "module_search_paths_set": 1,
        "module_search_paths": USR_PATHS,
    }, *UP_TO_313, V314),
    mock_notes=("The mock registers /linkfrom/python both as an executable file and as a "
                "link; here it is the link only.",),
)

# -- test_symlink_buildpath_posix -------------------------------------------------------------
SYMLINK_BUILDPATH = Scenario(
    name="test_symlink_buildpath_posix",
    summary="A link into a build tree: the build tree is detected next to the link's target.",
    build=Build(prefix="/usr/local"),
    interpreters=("/home/cpython/python", "/usr/local/bin/python"),
    executables=("/linkfrom/python", "/home/cpython/python", "/usr/local/bin/python"),
    links={"/linkfrom/python": "/home/cpython/python"},
    files=BUILD_TREE_FILES,
    dirs=("/home/cpython/lib-dynload",),
    program="/linkfrom/python",
    argv0="/linkfrom/python",
    runs=asserted("test_symlink_buildpath_posix", {
        "executable": "/linkfrom/python",
        "prefix": "/usr/local",
        "exec_prefix": "/usr/local",
        "base_executable": "/linkfrom/python",
        "build_prefix": "/home/cpython",
        "_is_python_build": 1,
        "module_search_paths_set": 1,
        "module_search_paths": BUILD_TREE_PATHS,
    }, *UP_TO_313, V314),
    mock_notes=("The mock registers /linkfrom/python both as an executable file and as a "
                "link; here it is the link only.",),
)

# -- test_custom_platlibdir_posix -------------------------------------------------------------
CUSTOM_PLATLIBDIR = Scenario(
    name="test_custom_platlibdir_posix",
    summary="PLATLIBDIR=lib64: the landmarks and every search-path entry use lib64.",
    build=Build(prefix="/usr", platlibdir="lib64"),
    interpreters=("/usr/bin/python",),
    executables=("/usr/bin/python",),
    files={"/usr/lib64/python9.8/os.py": ()},
    dirs=("/usr/lib64/python9.8/lib-dynload",),
    program="/usr/bin/python",
    argv0="/linkfrom/python",
    runs=asserted("test_custom_platlibdir_posix", {
        "executable": "/linkfrom/python",
        "base_executable": "/linkfrom/python",
        "prefix": "/usr",
        "exec_prefix": "/usr",
        "module_search_paths_set": 1,
        "module_search_paths": [
            "/usr/lib64/python98.zip",
            "/usr/lib64/python9.8",
            "/usr/lib64/python9.8/lib-dynload",
        ],
    }, *UP_TO_313, V314),
    mock_notes=("argv[0] is /linkfrom/python, which exists in neither the mock nor here (the "
                "mock has no such file or link). A kernel cannot execute a missing path, so the "
                "command runs /usr/bin/python with argv[0] set to /linkfrom/python (as "
                "'exec -a' does); getpath only ever sees argv[0].",
                "The search from /linkfrom finds nothing; prefix is the compiled-in PREFIX, "
                "and exec_prefix falls back to prefix (EXEC_PREFIX is empty in the mock; up to "
                "3.13 with a warning, 3.14 takes prefix because it holds lib-dynload).",),
)

# -- test_explicitly_set_stdlib_dir (3.13+) ---------------------------------------------------
EXPLICIT_STDLIB_DIR = Scenario(
    name="test_explicitly_set_stdlib_dir",
    summary="A stdlib_dir preset in PyConfig survives the computation (gh-106718).",
    build=Build(prefix="/usr"),
    interpreters=(),
    program="python",
    argv0="python",
    env={"PATH": "/usr/bin"},
    runs=asserted("test_explicitly_set_stdlib_dir", {
        "stdlib_dir": "/custom_stdlib_dir",
    }, V313, V314),
    not_startable="config['stdlib_dir'] is preset to /custom_stdlib_dir before getpath runs; "
                  "only an embedding application can set PyConfig.stdlib_dir, not a command "
                  "line or the environment, and the model takes no PyConfig input.",
)

# -- test_PYTHONHOME_in_venv (3.14) -----------------------------------------------------------
PYTHONHOME_IN_VENV = Scenario(
    name="test_PYTHONHOME_in_venv",
    summary="PYTHONHOME set while running a venv's python: 3.14 keeps the venv as prefix and "
            "takes the base prefixes (and the search path) from PYTHONHOME.",
    build=Build(prefix="/usr"),
    interpreters=("/venv/bin/python",),
    executables=("/venv/bin/python",),
    files={**VENV_CFG_USR_BIN, "/pythonhome/lib/python9.8/os.py": ()},
    dirs=("/pythonhome/lib/python9.8/lib-dynload",),
    program="/venv/bin/python",
    argv0="/venv/bin/python",
    env={"PYTHONHOME": "/pythonhome"},
    runs=asserted("test_PYTHONHOME_in_venv", {
        "executable": "/venv/bin/python",
        "prefix": "/venv",
        "exec_prefix": "/venv",
        "base_prefix": "/pythonhome",
        "base_exec_prefix": "/pythonhome",
        "module_search_paths_set": 1,
        "module_search_paths": [
            "/pythonhome/lib/python98.zip",
            "/pythonhome/lib/python9.8",
            "/pythonhome/lib/python9.8/lib-dynload",
        ],
    }, V314),
    mock_notes=("The venv's python is a regular file (no base interpreter exists in the "
                "layout), so it carries the build constants itself.",
                "base_executable is not asserted by the test.",),
)

SCENARIOS: tuple[Scenario, ...] = (
    NORMAL,
    BUILDPATH,
    VENV,
    VENV_WITHOUT_HOME,
    VENV_CHANGED_NAME,
    VENV_NON_INSTALLED,
    VENV_CHANGED_NAME_COPY,
    SYMLINK_NORMAL,
    SYMLINK_BUILDPATH,
    CUSTOM_PLATLIBDIR,
    EXPLICIT_STDLIB_DIR,
    PYTHONHOME_IN_VENV,
)
