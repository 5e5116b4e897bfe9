"""The environment spec (model/builders/envspec.py) on real interpreters: environments are built with
``build env``'s flavours, run with a clean environment, and judged property by property.

* The reference flavour passes every property on generated package sets (every interpreter
  here; a few sets by default, many under --sweep) and on every known-failure case.
* Each historical nixpkgs flavour fails exactly the properties it is known to fail, one test
  per known failure.  The expected sets are envspec.KNOWN_FAILURES (prefixlab's ids, each with
  the nixpkgs file, pull request or issue it comes from), not this checker's output.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import pytest
from conftest import REPO, in_scope_interpreters, interpreter_id, require_oracle
from hypothesis import HealthCheck, Phase, assume, given, settings

from prefixlab.impl.builders import cwrapper
from prefixlab.impl.checks import spec as speccheck
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.materialize import scratch_dir
from prefixlab.model.builders import envspec
from prefixlab.model.strategies.packages import minimal_set, package_sets

pytestmark = pytest.mark.real

INTERPRETERS = in_scope_interpreters()
CASES = ("plain-set", "pretalx-script", "shell-tool", "flagged-script", "wrapper-var",
         "bare-script", "double-wrap")


UPSTREAM = tuple(i for i in INTERPRETERS
                 if i.constants is not None and i.constants.flavour != "debian")
"""The historical flavours emulate nixpkgs, whose interpreters are upstream builds: Debian's
site.py reads lib/python3/dist-packages, not the lib/python3.X/site-packages nixpkgs' farm
fills, so on Debian's interpreter #297628, V2 and V3 lose the environment's packages for a
reason nixpkgs never met (an emulation limit, not a known failure of nixpkgs)."""


def _version(interp: Interpreter) -> tuple[int, int]:
    assert interp.version is not None
    return interp.version[0], interp.version[1]


def _default_interpreter() -> list[Interpreter]:
    """The newest upstream interpreter (the known failures' default run; all under
    --sweep)."""
    return list(UPSTREAM[-1:])


@pytest.fixture(name="scratch")
def _scratch() -> Iterator[str]:
    with scratch_dir("prefixlab-spec-") as path:
        yield path


def _require_compiler() -> None:
    require_oracle(cwrapper.compiler() is not None,
                   "no C compiler: the nix flavours and binary wrappers compile C wrappers")


def _check(flavour: str, interp: Interpreter, packages: object, scratch: str, **kw: bool
           ) -> speccheck.Checked:
    return speccheck.check(flavour, interp.path, _version(interp), packages,  # type: ignore[arg-type]
                           scratch, **kw)


# -- the reference flavour -------------------------------------------------------------------------
def _reference_on_generated(interp: Interpreter, *, examples: int, venvs: bool) -> None:
    _require_compiler()

    @settings(max_examples=examples, deadline=None, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(package_sets(_version(interp)))
    def run(packages: object) -> None:
        with scratch_dir("prefixlab-spec-") as scratch:
            try:
                checked = _check("reference", interp, packages, scratch, venvs=venvs,
                                 link=venvs)
            except speccheck.InvalidPackages:
                assume(False)  # the package's own script does not run: not an input
                return
            assert not checked.failed, f"{packages.features}\n" + checked.explain()  # type: ignore[attr-defined]

    run()



@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_reference_passes_every_property(interp: Interpreter, scratch: str) -> None:
    """Every property, venvs made from the environment and the link to it included."""
    _require_compiler()
    checked = _check("reference", interp, minimal_set("plain-set", _version(interp)), scratch)
    assert {v.property for v in checked.verdicts} == set(envspec.BY_ID)
    assert not checked.failed, checked.explain()


@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_reference_passes_generated_sets(interp: Interpreter) -> None:
    """The environment's properties on three generated sets (venvs: the test above and the
    sweep)."""
    _reference_on_generated(interp, examples=3, venvs=False)


@pytest.mark.sweep
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_reference_passes_generated_sets_sweep(interp: Interpreter) -> None:
    _reference_on_generated(interp, examples=60, venvs=True)


REFERENCE_CASES = (*CASES[1:], "installer-trampoline", "linked-binary-wrapper")


@pytest.mark.parametrize("case", REFERENCE_CASES)
@pytest.mark.parametrize("interp", _default_interpreter(), ids=interpreter_id)
def test_reference_passes_the_cases(interp: Interpreter, case: str, scratch: str) -> None:
    """The historical flavours' failure cases, and two shapes generated sets found: pypa/
    installer's trampoline with an unquoted interpreter (shlex.quote leaves a long path
    without blanks unquoted) and a link to a makeBinaryWrapper wrapper."""
    _require_compiler()
    checked = _check("reference", interp, minimal_set(case, _version(interp)),  # type: ignore[arg-type]
                     scratch, venvs=False, link=False)
    assert not checked.failed, checked.explain()


@pytest.mark.sweep
@pytest.mark.parametrize("case", REFERENCE_CASES)
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_reference_passes_the_cases_sweep(interp: Interpreter, case: str, scratch: str) -> None:
    _require_compiler()
    checked = _check("reference", interp, minimal_set(case, _version(interp)),  # type: ignore[arg-type]
                     scratch)
    assert not checked.failed, checked.explain()


# -- the historical flavours -----------------------------------------------------------------------
def _known(known: envspec.KnownFailure) -> str:
    return f"{known.id}-{known.flavour}"


_CHECKED: dict[tuple[str, str, str, bool], speccheck.Checked] = {}


def _checked_once(flavour: str, case: str, interp: Interpreter, scratch: str,
                  uses_venvs: bool) -> speccheck.Checked:
    """One build and run per (flavour, case, interpreter, venvs) in a session: a failure id
    whose case is the plain set reads the baseline's run.  Only the observation is kept, so
    the scratch directory may go."""
    key = (flavour, case, interp.path, uses_venvs)
    if key not in _CHECKED:
        _CHECKED[key] = _check(flavour, interp, minimal_set(case, _version(interp)),  # type: ignore[arg-type]
                               scratch, venvs=uses_venvs, link=uses_venvs)
    return _CHECKED[key]


def _exactly(known_flavour: str, case: str, interp: Interpreter, scratch: str,
             uses_venvs: bool = True) -> None:
    _require_compiler()
    checked = _checked_once(known_flavour, case, interp, scratch, uses_venvs)
    expected = envspec.expected_failures(known_flavour, case, venvs=uses_venvs,  # type: ignore[arg-type]
                                          link=uses_venvs)
    assert checked.failed == expected, (
        f"failed {sorted(checked.failed)}, expected {sorted(expected)}\n" + checked.explain())


@pytest.mark.parametrize("known", envspec.KNOWN_FAILURES, ids=_known)
@pytest.mark.parametrize("interp", _default_interpreter(), ids=interpreter_id)
def test_historical_flavour_fails_exactly_its_known_properties(
        interp: Interpreter, known: envspec.KnownFailure, scratch: str) -> None:
    # venvs and the link only where the failure is about them or its case is the plain set
    # (observed in full once, for the baseline test below too)
    venvs = known.case == "plain-set" or any(envspec.BY_ID[p].group != "env"
                                             for p in known.properties)
    _exactly(known.flavour, known.case, interp, scratch, venvs)


@pytest.mark.parametrize("flavour", envspec.FLAVOURS)
@pytest.mark.parametrize("interp", _default_interpreter(), ids=interpreter_id)
def test_historical_flavour_on_the_plain_set(interp: Interpreter, flavour: str,
                                             scratch: str) -> None:
    """Its baseline: with nothing but modules and an installer-shaped console script, a
    flavour fails only its structural failures (and #297628 with an inherited argv[0],
    none)."""
    _exactly(flavour, "plain-set", interp, scratch)


@pytest.mark.sweep
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("flavour", envspec.FLAVOURS)
@pytest.mark.parametrize("interp", UPSTREAM, ids=interpreter_id)
def test_historical_flavours_sweep(interp: Interpreter, flavour: str, case: str,
                                   scratch: str) -> None:
    _exactly(flavour, case, interp, scratch)


# -- venvs from anything: PEP 405 -------------------------------------------------------------------
PREFIXLAB = str(REPO / ".venv" / "bin" / "prefixlab")


@pytest.fixture(name="builder_cache", scope="module")
def _builder_cache() -> Iterator[dict[str, str]]:
    """prefixlab's cache for the builds of this module (the builder learns each interpreter
    once; the venvs' own runs still get a clean environment)."""
    with scratch_dir("prefixlab-spec-cache-") as path:
        yield {"XDG_CACHE_HOME": path}


def _makers(python: str) -> dict[str, list[str]]:
    return {"stdlib": [python, "-m", "venv", "--without-pip"],
            "prefixlab": [os.path.realpath(PREFIXLAB), "build", "venv", "--python", python]}


@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_pep405_venvs_from_each_interpreter(interp: Interpreter, scratch: str,
                                            builder_cache: dict[str, str]) -> None:
    """stdlib venv and prefixlab build venv, with and without --system-site-packages."""
    require_oracle(os.path.exists(PREFIXLAB), f"{PREFIXLAB}: no project venv")
    for name, maker in _makers(interp.path).items():
        os.mkdir(f"{scratch}/{name}")
        verdicts = speccheck.check_venvs_from(maker, interp.path, _version(interp),
                                              f"{scratch}/{name}", builder_cache)
        assert all(v.ok for v in verdicts), (name, [v for v in verdicts if not v.ok])


@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_pep405_venvs_from_a_venv(interp: Interpreter, scratch: str,
                                  builder_cache: dict[str, str]) -> None:
    """A venv made from another venv's python sees the base installation's site-packages
    with --system-site-packages, never the outer venv's own (PEP 405: the system
    site-packages are the base installation's)."""
    require_oracle(os.path.exists(PREFIXLAB), f"{PREFIXLAB}: no project venv")
    outer = f"{scratch}/outer"
    subprocess.run([interp.path, "-m", "venv", "--without-pip", outer], check=True,
                   capture_output=True, timeout=120)
    for name, maker in _makers(f"{outer}/bin/python").items():
        os.mkdir(f"{scratch}/{name}")
        verdicts = speccheck.check_venvs_from(maker, f"{outer}/bin/python", _version(interp),
                                              f"{scratch}/{name}", builder_cache)
        assert all(v.ok for v in verdicts), (name, [v for v in verdicts if not v.ok])


_DECOY_DEFAULT = [i for i in INTERPRETERS if i.version and i.version[:2] == (3, 12)][:1]


@pytest.mark.parametrize("interp", [
    pytest.param(i, marks=() if i in _DECOY_DEFAULT else (pytest.mark.sweep,))
    for i in INTERPRETERS], ids=interpreter_id)
def test_pep405_from_a_link_below_a_decoy_stdlib(interp: Interpreter, scratch: str,
                                                 builder_cache: dict[str, str]) -> None:
    """astral-sh/uv#10674, python/cpython#106045: FAKE/bin/python3.X links to the
    interpreter and FAKE/lib/python3.X/os.py is a decoy.  prefixlab's venv keeps every PEP 405
    promise; stdlib's records home = FAKE/bin and its python dies at start-up (observed on a
    real 3.12, where it is asserted; on other versions only reported)."""
    require_oracle(os.path.exists(PREFIXLAB), f"{PREFIXLAB}: no project venv")
    major, minor = _version(interp)
    fake = f"{scratch}/fake"
    os.makedirs(f"{fake}/bin")
    os.makedirs(f"{fake}/lib/python{major}.{minor}")
    with open(f"{fake}/lib/python{major}.{minor}/os.py", "w", encoding="utf-8") as handle:
        handle.write("raise SystemExit('decoy')\n")
    link = f"{fake}/bin/python{major}.{minor}"
    os.symlink(os.path.realpath(interp.path), link)
    failed = {}
    for name, maker in _makers(link).items():
        os.mkdir(f"{scratch}/{name}")
        verdicts = speccheck.check_venvs_from(maker, link, (major, minor), f"{scratch}/{name}",
                                              builder_cache)
        failed[name] = envspec.failed(verdicts)
    assert failed["prefixlab"] == set()
    if (major, minor) == (3, 12):
        assert failed["stdlib"] == {"pep405.prefixes", "pep405.site-packages",
                                    "pep405.isolation"}


# -- prefixlab build check ---------------------------------------------------------------------------
@pytest.mark.parametrize("interp", _default_interpreter(), ids=interpreter_id)
def test_build_check_command(interp: Interpreter, scratch: str) -> None:
    """`prefixlab build check ENV --package DIR`: exit 0 for the reference flavour, 1 with
    env.prefix failing for nix-classic (F-a1), 2 and one line for a directory that is not an
    environment."""
    from click.testing import CliRunner

    from prefixlab.impl.cli.build import build_command
    _require_compiler()
    packages = minimal_set("plain-set", _version(interp))
    runner = CliRunner()
    for flavour, status in (("reference", 0), ("nix-classic", 1)):
        os.mkdir(f"{scratch}/{flavour}")
        env = f"{scratch}/{flavour}/env"
        bound = speccheck.write_packages(packages, f"{scratch}/{flavour}/pkgs",
                                         speccheck.package_python(flavour, interp.path, env))
        speccheck.build(flavour, interp.path, bound.roots, env)
        args = ["check", env, *(a for r in bound.roots for a in ("--package", r)), "--no-venvs"]
        result = runner.invoke(build_command, args)
        assert result.exit_code == status, result.output
        assert ("FAIL env.prefix" in result.output) == (status == 1), result.output
        assert "ok   env.imports: 6 modules import" in result.output
        as_json = runner.invoke(build_command, [*args, "--json"])
        assert as_json.exit_code == status, as_json.output
        data = json.loads(as_json.output)
        held = {v["id"]: v["held"] for v in data["verdicts"]}
        assert (data["schema"], data["mode"], data["env"]) == (1, "env", env)
        assert data["passed"] == (status == 0) and held["env.prefix"] == (status == 0)
        assert held["env.imports"] and data["packages"] == list(bound.roots)
    result = runner.invoke(build_command, ["check", scratch])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "not an environment" in result.output


def test_interpreters_found() -> None:
    require_oracle(bool(INTERPRETERS), "no in-scope interpreter here")
    assert os.path.isabs(INTERPRETERS[0].path)
