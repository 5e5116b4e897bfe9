"""`which` against the real importlib, on generated package sets, on every interpreter here.

Each package set is materialized on disk and put on PYTHONPATH; one run of the real
interpreter asks importlib for every name at once (prefixlab.impl.checks.which: the meta-path
finders in order, as ``import`` does for a module not imported yet).  The model must report
the same ``origin`` and ``submodule_search_locations``.  Expected values come only from the
real interpreter.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings

from prefixlab.impl.checks import which as whichcheck
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.materialize import materialize, scratch_dir
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.world.fs import File, Layout
from prefixlab.model.startup.imports import xoptions
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.strategies import SearchPathSet, search_path_sets
from prefixlab.model.strategies.imports import NAMES
from prefixlab.model.world import World
from prefixlab.model.startup.predict import predict

from conftest import in_scope_interpreters, interpreter_id, require_oracle

INTERPRETERS = list(in_scope_interpreters())
CASES = int(os.environ.get("PREFIXLAB_WHICH_CASES", "12"))


def answers(interp: Interpreter, names: Sequence[str], *, env: dict[str, str], cwd: str,
            options: Sequence[str] = ("-S",)) -> tuple[dict[str, Any], dict[str, Any]]:
    """(real, model) answers for ``names`` when ``interp`` runs with ``options``."""
    assert interp.constants is not None
    world = World(Snapshot("/"), {interp.real_path: interp.constants})
    invocation = Invocation.make(interp.path, [*options, "-c", "pass"], env=env, cwd=cwd)
    outcome = predict(world, invocation)
    assert outcome.status == "ok", outcome.error
    model = whichcheck.model_answers(world, outcome, names)
    real = whichcheck.real_answers(outcome, names)
    assert model is not None and real is not None
    return real, model


def test_some_interpreter_is_found() -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found on this machine")


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
@pytest.mark.parametrize("options", [("-S",), ()], ids=["-S", "site"])
def test_which_agrees_with_find_spec(interp: Interpreter, options: tuple[str, ...]) -> None:
    """With -S, and with site (its site-packages and .pth directories on sys.path; the
    names asked are not ones site's code adds finders for)."""
    assert interp.constants is not None
    suffixes = interp.constants.extension_suffixes
    require_oracle(bool(suffixes), f"{interp.path}: no extension suffixes learned")

    @settings(max_examples=CASES if options else CASES // 2, deadline=None,
              suppress_health_check=list(HealthCheck), database=None)
    # With site, a copy of stat ahead of the stdlib breaks site itself (genericpath uses it).
    @given(search_path_sets(extension_suffixes=suffixes,
                            names=NAMES if options else ("alpha", "beta", "json")))
    def check(packages: SearchPathSet) -> None:
        with scratch_dir("prefixlab-which-") as root:
            layout, entries = packages.at(root)
            materialize(layout, root)
            env = {"PYTHONPATH": ":".join(entries)}
            note(f"entries: {entries}\nlayout: {sorted(p for p, _ in layout.items())}")
            real, model = answers(interp, packages.queries, env=env, cwd=root, options=options)
            problems = whichcheck.differences(real, model)
            assert not problems, "\n".join(problems)

    check()


FROZEN_QUERIES = ("os", "stat", "codecs", "zipimport", "importlib.util", "__phello__",
                  "__phello__.spam")


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
@pytest.mark.parametrize("setting", ["-X frozen_modules=off", "-X frozen_modules=on",
                                     "-X frozen_modules", "PYTHON_FROZEN_MODULES=off",
                                     "PYTHON_FROZEN_MODULES=off -X frozen_modules=on",
                                     "PYTHON_FROZEN_MODULES=off -E"])
def test_frozen_modules_setting(interp: Interpreter, setting: str) -> None:
    """Frozen stdlib modules (3.11+) are used or not as -X frozen_modules and (3.13+)
    PYTHON_FROZEN_MODULES say; the import bootstrap (zipimport) always is."""
    env: dict[str, str] = {}
    options: list[str] = []
    words = setting.split()
    while words:
        word = words.pop(0)
        if word == "-X":
            options += ["-X", words.pop(0)]
        elif "=" in word:
            name, _, value = word.partition("=")
            env[name] = value
        else:
            options.append(word)
    with scratch_dir("prefixlab-which-") as root:
        real, model = answers(interp, FROZEN_QUERIES, env=env, cwd=root,
                              options=[*options, "-S"])
    problems = whichcheck.differences(real, model)
    assert not problems, "\n".join(problems)


def test_xoptions_are_read_as_the_interpreter_parses_them() -> None:
    assert xoptions(["-X", "a", "-Xb=1", "-SX", "c", "-c", "x", "-X", "d"]) == ("a", "b=1", "c")
    assert xoptions(["-W", "-X", "-X", "e"]) == ("e",)  # -W takes the next word
    assert xoptions(["script.py", "-X", "f"]) == ()


def _scenario(root: str, suffix: str) -> tuple[Layout, tuple[str, ...]]:
    """Every situation of module resolution at once: shadowing, a namespace package split
    across entries, a package and a module of the same name, an extension-module file, a
    sourceless .pyc, a zip archive, a missing entry, a copy of a stdlib module."""
    files = {
        "e0/alpha.py": b"", "e0/beta/__init__.py": b"", "e0/gamma/sub.py": b"",
        "e0/delta.pyc": b"junk", "e0/eps" + suffix: b"junk", "e0/zeta.py": b"",
        "e0/zeta/__init__.py": b"", "e0/kappa/__init__" + suffix: b"junk",
        "e1/alpha/__init__.py": b"", "e1/gamma/other.py": b"", "e1/delta.py": b"",
        "e1/eta.py": b"", "e1/json.py": b"", "e1/eps.py": b"",
    }
    layout = Layout({f"{root}/{path}": File(data) for path, data in files.items()})
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        for member in ("theta.py", "iota/", "iota/__init__.py", "iota/sub.py"):
            handle.writestr(zipfile.ZipInfo(member, (2000, 1, 1, 0, 0, 0)), b"")
    layout = layout.with_file(f"{root}/lib.zip", archive.getvalue())
    return layout, (f"{root}/e0", f"{root}/missing", "e1", f"{root}/lib.zip")


SCENARIO_NAMES = ("alpha", "beta", "gamma", "gamma.sub", "gamma.other", "delta", "eps", "zeta",
                  "kappa", "eta", "json", "json.decoder", "theta", "iota", "iota.sub", "sys",
                  "_io", "os", "zipimport", "nothing_here")


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_the_named_situations(interp: Interpreter) -> None:
    assert interp.constants is not None
    suffix = interp.constants.extension_suffixes[0]
    with scratch_dir("prefixlab-which-") as root:
        layout, entries = _scenario(root, suffix)
        materialize(layout, root)
        real, model = answers(interp, SCENARIO_NAMES, env={"PYTHONPATH": ":".join(entries)},
                              cwd=root)
    problems = whichcheck.differences(real, model)
    assert not problems, "\n".join(problems)
    # The situations really arise (facts of importlib, seen in the real answers):
    assert real["alpha"][0] == f"{root}/e0/alpha.py"  # the first entry wins
    assert real["zeta"][0] == f"{root}/e0/zeta/__init__.py"  # package before module
    assert real["gamma"] == (None, [f"{root}/e0/gamma", f"{root}/e1/gamma"])  # namespace
    assert real["delta"][0] == f"{root}/e0/delta.pyc"  # sourceless .pyc, earlier entry
    assert real["eps"][0] == f"{root}/e0/eps{suffix}"  # an extension module
    assert real["kappa"][0] == f"{root}/e0/kappa/__init__{suffix}"
    assert real["json"][0] == f"{root}/e1/json.py"  # shadows the stdlib's json
    assert real["json.decoder"] == "not-a-package"
    assert real["theta"][0] == f"{root}/lib.zip/theta.py"
    assert real["iota.sub"][0] == f"{root}/lib.zip/iota/sub.py"
    assert real["sys"] == ("built-in", None) and real["nothing_here"] == "not-found"


def _zip(members: Sequence[str], *, comment: bytes = b"", stub: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as handle:
        for member in members:
            handle.writestr(zipfile.ZipInfo(member, (2000, 1, 1, 0, 0, 0)), b"x")
        handle.comment = comment
    return stub + buffer.getvalue()


def test_zip_directory_names() -> None:
    from prefixlab.model.startup.zipdir import zip_names

    names = ("a.py", "pkg/", "pkg/__init__.py", "é.py")
    assert zip_names(_zip(names)) == frozenset(names)
    assert zip_names(_zip(names, comment=b"c" * 300)) == frozenset(names)
    # A self-extracting archive: a stub before the zip shifts every offset.
    assert zip_names(_zip(names, stub=b"#!/bin/sh\nexit 0\n")) == frozenset(names)
    assert zip_names(b"not a zip at all, long enough to hold a record") is None
    assert zip_names(b"") is None


@pytest.mark.real
@pytest.mark.parametrize("interp", [i for i in INTERPRETERS if i.constants is not None
                                    and i.constants.flavour == "upstream"], ids=interpreter_id)
def test_frozen_modules_are_used_in_a_build_tree(interp: Interpreter) -> None:
    """The 3.11/3.12 docs say frozen modules default to off "when running from the source
    tree"; these builds use them there all the same (the default is Py_DEBUG's)."""
    from test_schemes import _build_tree

    assert interp.constants is not None
    with scratch_dir("prefixlab-which-") as root:
        binary = _build_tree(interp, root)
        world = World(Snapshot("/"), {binary: interp.constants})
        outcome = predict(world, Invocation.make(binary, ["-S", "-c", "pass"], cwd=root))
        names = ("stat", "os", "codecs", "zipimport", "json")
        real = whichcheck.real_answers(outcome, names)
        model = whichcheck.model_answers(world, outcome, names)
    assert real is not None and model is not None
    assert not whichcheck.differences(real, model), whichcheck.differences(real, model)
    if interp.version and interp.version >= (3, 11):
        assert real["stat"] == ("frozen", None)


STARTUP_NAMES = whichcheck.STARTUP_NAMES
SWEEP_WHICH_CASES = int(os.environ.get("PREFIXLAB_SWEEP_WHICH_CASES", "300"))


@pytest.mark.sweep
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_which_on_generated_start_up_cases(interp: Interpreter) -> None:
    """which agrees with find_spec on the start-up sweep's generated cases (venvs, links,
    build trees, PYTHONPATH, site or not, scripts and -m asked in place), laid down and
    checked as the sweep does (prefixlab.impl.checks.campaign checks every sweep case so)."""
    from prefixlab.impl.checks import campaign
    from prefixlab.model.strategies.startup import Case, cases

    @settings(max_examples=SWEEP_WHICH_CASES, deadline=None,
              suppress_health_check=list(HealthCheck), database=None)
    @given(cases(campaign.target_for(interp)))
    def check(case: Case) -> None:
        result = campaign.run_case(case, interp, check_which=True)
        note(f"case: {campaign.case_to_json(case)}")
        assert result.which is not None
        assert not result.which.differences, "\n".join(result.which.differences)

    check()
