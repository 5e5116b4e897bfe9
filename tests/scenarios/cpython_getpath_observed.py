"""Scenarios no CPython test covers, with the values CPython's own getpath.py computes.

Each run's expected values were obtained by executing that version's ``Modules/getpath.py``
(the source, not a copy of it in this repository) under the POSIX mock of the same version's
``Lib/test/test_getpath.py`` (so with the mock's semantics: set-membership ``isfile``/``isdir``,
verbatim ``realpath``), with the scenario's files, links, build constants, argv[0] and
environment.  They are observations of CPython's code, not assertions of its test suite; the
scenarios were chosen where reading the 3.11.0-3.14 sources suggested the model diverges, and
the layouts avoid every point where the mock and a real filesystem would answer differently.

Sources executed:

* 3.11.0, 3.11.1: deadsnakes/python3.11 tags ``upstream/3.11.0``, ``upstream/3.11.1``.
* 3.12: ``upstream/3.12.6`` (getpath.py is identical from 3.12.0 to 3.12.6, and to 3.11.2-
  3.11.10 except for one comment).
* 3.13.0: deadsnakes/python3.13 ``upstream/3.13.0_rc2`` (identical to rc1; the installed
  3.13.0's test file is identical too).
* 3.14.0rc1: Zajkls/RandomPython@3b510a79 with its Python keywords restored (the restored
  file passes all 27 tests of the restored 3.14.0rc1 test_getpath.py).
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
ALL = (V3110, V3111, V312, V313, V314)

_SOURCE = {
    V3110: "observed: CPython 3.11.0 Modules/getpath.py (deadsnakes upstream/3.11.0)",
    V3111: "observed: CPython 3.11.1 Modules/getpath.py (deadsnakes upstream/3.11.1)",
    V312: "observed: CPython 3.12.6 Modules/getpath.py (deadsnakes upstream/3.12.6; same "
          "for 3.12.0-3.12.6)",
    V313: "observed: CPython 3.13.0 Modules/getpath.py (deadsnakes upstream/3.13.0_rc2)",
    V314: "observed: CPython 3.14.0rc1 Modules/getpath.py (Zajkls/RandomPython@3b510a79, "
          "keywords restored)",
}


def observed(name: str, expected: Mapping[str, object], *versions: Version) -> tuple[Run, ...]:
    return tuple(Run(v, f"{_SOURCE[v]} under its test_getpath POSIX mock, scenario {name}",
                     expected) for v in versions)


# -- PYTHONHOME and a pyvenv.cfg home key -----------------------------------------------------
PYTHONHOME_PATHS = [
    "/pythonhome/lib/python98.zip",
    "/pythonhome/lib/python9.8",
    "/pythonhome/lib/python9.8/lib-dynload",
]

_HOME_BASE: dict[str, object] = {
    "executable": "/venv/bin/python",
    "base_executable": "/venv/bin/python",
    "module_search_paths": PYTHONHOME_PATHS,
    "stdlib_dir": "/pythonhome/lib/python9.8",
}

PYTHONHOME_VENV_BASE_EXECUTABLE = Scenario(
    name="pythonhome_venv_base_executable",
    summary="test_PYTHONHOME_in_venv's layout, with base_executable checked too: 3.14 reads "
            "pyvenv.cfg despite PYTHONHOME but ignores its home key, so nothing derives a "
            "base executable from it and base_executable stays the executable.",
    oracle="observed",
    build=Build(prefix="/usr"),
    interpreters=("/venv/bin/python",),
    executables=("/venv/bin/python",),
    files={"/venv/pyvenv.cfg": ("home = /usr/bin",), "/pythonhome/lib/python9.8/os.py": ()},
    dirs=("/pythonhome/lib/python9.8/lib-dynload",),
    program="/venv/bin/python",
    argv0="/venv/bin/python",
    env={"PYTHONHOME": "/pythonhome"},
    runs=observed("pythonhome_venv_base_executable", {
        **_HOME_BASE,
        "prefix": "/pythonhome",
        "exec_prefix": "/pythonhome",
        "base_prefix": "/pythonhome",
        "base_exec_prefix": "/pythonhome",
    }, V3110, V3111, V312, V313) + observed("pythonhome_venv_base_executable", {
        **_HOME_BASE,
        "prefix": "/venv",
        "exec_prefix": "/venv",
        "base_prefix": "/pythonhome",
        "base_exec_prefix": "/pythonhome",
    }, V314),
)

_EMPTY_HOME_PREFIX_BASE: dict[str, object] = {
    "executable": "/venv/bin/python",
    "base_executable": "/venv/bin/python",
    "module_search_paths": [
        "/usr/lib/python98.zip",
        "/usr/lib/python9.8",
        "/pythonhome/lib/python9.8/lib-dynload",
    ],
    "stdlib_dir": "/usr/lib/python9.8",
}

PYTHONHOME_EXEC_ONLY_IN_VENV = Scenario(
    name="pythonhome_exec_only_in_venv",
    summary="PYTHONHOME=':/pythonhome' (an empty prefix part, so the prefix is still searched "
            "for) while running a venv python that links to /usr/bin/python, whose pyvenv.cfg "
            "home names another install: 3.14 ignores the home key, so the prefix search "
            "starts from the link's target directory (/usr), not from the key's directory.",
    oracle="observed",
    build=Build(prefix="/usr"),
    interpreters=("/usr/bin/python",),
    executables=("/usr/bin/python",),
    links={"/venv/bin/python": "/usr/bin/python"},
    files={"/venv/pyvenv.cfg": ("home = /opt/other/bin",),
           "/usr/lib/python9.8/os.py": (),
           "/opt/other/lib/python9.8/os.py": ()},
    dirs=("/usr/lib/python9.8/lib-dynload", "/pythonhome/lib/python9.8/lib-dynload"),
    program="/venv/bin/python",
    argv0="/venv/bin/python",
    env={"PYTHONHOME": ":/pythonhome"},
    runs=observed("pythonhome_exec_only_in_venv", {
        **_EMPTY_HOME_PREFIX_BASE,
        "prefix": "/usr",
        "exec_prefix": "/pythonhome",
        "base_prefix": "/usr",
        "base_exec_prefix": "/pythonhome",
    }, V3110, V3111, V312, V313) + observed("pythonhome_exec_only_in_venv", {
        **_EMPTY_HOME_PREFIX_BASE,
        "prefix": "/venv",
        "exec_prefix": "/venv",
        "base_prefix": "/usr",
        "base_exec_prefix": "/pythonhome",
    }, V314),
)

# -- the compiled PYTHONPATH macro in a venv --------------------------------------------------
_MACRO_BASE: dict[str, object] = {
    "executable": "/venv/bin/python",
    "base_executable": "/usr/bin/python",
    "base_prefix": "/usr",
    "base_exec_prefix": "/usr",
    "module_search_paths": [
        "/usr/lib/python98.zip",
        "/usr/plat-extra",
        "/usr/lib/python9.8",
        "/usr/lib/python9.8/lib-dynload",
    ],
    "stdlib_dir": "/usr/lib/python9.8",
}

PYTHONPATH_MACRO_IN_VENV = Scenario(
    name="pythonpath_macro_in_venv",
    summary="test_venv_posix's layout built with a compiled PYTHONPATH macro 'plat-extra': "
            "the macro's relative entries are joined to the base prefix (3.14: the venv "
            "became the prefix before the path is built, but the entry still names /usr).",
    oracle="observed",
    build=Build(prefix="/usr", pythonpath="plat-extra"),
    interpreters=("/usr/bin/python", "/venv/bin/python"),
    executables=("/usr/bin/python", "/venv/bin/python"),
    files={"/usr/lib/python9.8/os.py": (), "/venv/pyvenv.cfg": ("home = /usr/bin",)},
    dirs=("/usr/lib/python9.8/lib-dynload",),
    program="python",
    argv0="python",
    env={"PATH": "/venv/bin:/usr/bin"},
    runs=observed("pythonpath_macro_in_venv", {
        **_MACRO_BASE, "prefix": "/usr", "exec_prefix": "/usr",
    }, V3110, V3111, V312, V313) + observed("pythonpath_macro_in_venv", {
        **_MACRO_BASE, "prefix": "/venv", "exec_prefix": "/venv",
    }, V314),
)

# -- a build tree whose Lib/ is not found, below an installed stdlib --------------------------
_BUILD_BASE: dict[str, object] = {
    "executable": "/top/build/python",
    "base_executable": "/top/build/python",
    "prefix": "/usr/local",
    "exec_prefix": "/usr/local",
    "base_prefix": "/usr/local",
    "base_exec_prefix": "/usr/local",
}

BUILD_TREE_UNDER_INSTALL = Scenario(
    name="build_tree_under_install",
    summary="A build directory (pybuilddir.txt) with no Lib/os.py above it, inside a tree "
            "that holds lib/python9.8/os.py: up to 3.11.1 the landmark search that follows "
            "replaces the build tree's stdlib_dir (Lib/) with the installed one; from 3.11.2 "
            "the build tree's choice stands.",
    oracle="observed",
    build=Build(prefix="/usr/local"),
    interpreters=("/top/build/python",),
    executables=("/top/build/python",),
    files={"/top/build/pybuilddir.txt": ("ext",), "/top/lib/python9.8/os.py": ()},
    program="/top/build/python",
    argv0="/top/build/python",
    runs=observed("build_tree_under_install", {
        **_BUILD_BASE,
        "module_search_paths": [
            "/usr/local/lib/python98.zip",
            "/top/lib/python9.8",
            "/top/build/ext",
        ],
        "stdlib_dir": "/top/lib/python9.8",
    }, V3110, V3111) + observed("build_tree_under_install", {
        **_BUILD_BASE,
        "module_search_paths": [
            "/usr/local/lib/python98.zip",
            "/top/build/Lib",
            "/top/build/ext",
        ],
        "stdlib_dir": "/top/build/Lib",
    }, V312, V313, V314),
    mock_notes=("3.11.2-3.11.10 run the same getpath.py as 3.12 (one comment differs), so the "
                "3.12 run stands for them.",),
)

SCENARIOS: tuple[Scenario, ...] = (
    PYTHONHOME_VENV_BASE_EXECUTABLE,
    PYTHONHOME_EXEC_ONLY_IN_VENV,
    PYTHONPATH_MACRO_IN_VENV,
    BUILD_TREE_UNDER_INSTALL,
)
