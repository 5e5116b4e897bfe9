"""prefixlab conform against the real builders and interpreters here.

Expected outcomes are facts about CPython and stdlib venv, not prefixlab's output:

* a venv made by ``python -m venv`` from the installation's own binary keeps every promise
  (PEP 405; the venv docs);
* 3.11+ start from pyvenv.cfg's ``home`` and search upward from it for the stdlib landmark
  (Modules/getpath.py), so a venv made through an exe-only link whose directory's parent holds
  ``lib/pythonX.Y/os.py`` does not start (the class of astral-sh/uv#10674); 3.8-3.10 resolve
  the link first (Modules/getpath.c) and are not fooled;
* 3.8-3.10's venv module writes ``home`` as the directory of ``sys.executable``, so a venv
  made from another venv's interpreter depends on that venv and breaks when it is deleted;
  3.11+ write the base installation's (bpo-45413 / gh-89576: sys._base_executable).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import find

from conftest import in_scope_interpreters
from prefixlab.impl.checks import venvcheck
from prefixlab.impl.cli.main import main
from prefixlab.impl.conform import bases as basing
from prefixlab.impl.conform import builders, campaign, report, runcase
from prefixlab.impl.conform.replaying import replay_file
from prefixlab.model.conform.case import Case
from prefixlab.model.strategies.placements import placements

pytestmark = pytest.mark.real


def _minor(version: str) -> tuple[int, int]:
    major, minor, _ = version.split(".")
    return int(major), int(minor)


@pytest.fixture(scope="module")
def all_bases() -> list[basing.Base]:
    found = basing.bases()
    if not found:
        pytest.skip("no in-scope interpreter here")
    return found


def test_stdlib_venv_from_the_installation_binary_keeps_every_promise(
        all_bases: list[basing.Base]) -> None:
    ran = campaign.run(builders.adapter("venv"), all_bases, ("direct",), budget=120, seed=0)
    assert [r.found.key for r in ran.reported] == []
    judged = [r for r in ran.search.results.values() if r.status == "judged"]
    # Every interpreter was judged, with and without the base's site-packages.
    assert {r.case.base for r in judged} == set(all_bases)
    assert {r.case.system_site for r in judged} == {False, True}


def test_jobs_shard_the_search_over_worker_processes(all_bases: list[basing.Base]) -> None:
    ran = campaign.run(builders.adapter("venv"), all_bases[:2], ("direct",), budget=60,
                       seed=0, jobs=2)
    assert ran.reported == []
    assert {r.case.base for r in ran.search.results.values()} == set(all_bases[:2])


def test_the_plain_run_is_the_probe_the_prediction_is_held_against(
        all_bases: list[basing.Base]) -> None:
    """ENV/bin/python without -S runs once per case: the start the promises read (observed)
    is the probe the model's prediction is compared with (the same invocation: the clean
    environment, in scratch)."""
    base = all_bases[0]
    placement = find(placements(base, allowed=("direct",)), lambda p: True)
    for system_site in (False, True):
        result = runcase.run_case(Case(builders.adapter("venv"), base, placement, system_site))
        assert result.status == "judged" and result.probed is not None, result.why
        python = os.path.join(result.root, placement.target, "bin", "python")
        assert result.observed == runcase._start_json(venvcheck.start_of(result.probed, python))
        scratch = os.path.join(os.path.dirname(result.root), "scratch")
        assert result.probed.invocation.argv == (python,)
        assert dict(result.probed.invocation.environ) == venvcheck.clean_env(scratch)
        assert result.probed.invocation.cwd == scratch
        assert result.probed.status == "ok" and not result.fidelity


@pytest.fixture(scope="module")
def decoy_campaign(all_bases: list[basing.Base]) -> campaign.Campaign:
    return campaign.run(builders.adapter("venv"), all_bases, ("exe-link", "decoy-above-link"),
                        budget=150, seed=0)


def test_the_decoy_above_an_exe_link_breaks_stdlib_venvs_on_3_11_and_later(
        decoy_campaign: campaign.Campaign, all_bases: list[basing.Base]) -> None:
    starts = [r for r in decoy_campaign.reported if r.found.key.finding == "venv.starts"]
    newer = {".".join(map(str, b.version)) for b in all_bases if b.version[:2] >= (3, 11)}
    if not newer:
        pytest.skip("no 3.11+ interpreter here")
    assert len(starts) == 1
    found = starts[0].found
    # Shrunk: nothing but the link and the decoy.
    assert found.result.case.placement.names == ("exe-link", "decoy-above-link")
    assert set(found.fails_on()) == newer


def test_the_case_file_replays_and_a_fixed_case_does_not(
        decoy_campaign: campaign.Campaign, tmp_path: Path) -> None:
    starts = [r for r in decoy_campaign.reported if r.found.key.finding == "venv.starts"]
    if not starts:
        pytest.skip("no 3.11+ interpreter here")
    path = report.save(starts[0], str(tmp_path))
    assert replay_file(path).reproduced
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    data["placement"]["ops"] = [op for op in data["placement"]["ops"]
                                if not op["path"].endswith("os.py")]
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["conform", "--replay", str(fixed)])
    assert result.exit_code == 0, result.output
    assert "no longer reproduces" in result.output


def test_the_shell_reproducer_fails_as_the_case_did(decoy_campaign: campaign.Campaign,
                                                    tmp_path: Path) -> None:
    starts = [r for r in decoy_campaign.reported if r.found.key.finding == "venv.starts"]
    if not starts:
        pytest.skip("no 3.11+ interpreter here")
    script = tmp_path / "reproduce.sh"
    script.write_text(starts[0].reproducer, encoding="utf-8")
    done = subprocess.run(["/bin/sh", str(script)], capture_output=True, text=True, timeout=120)
    assert "status: 1" in done.stdout  # the venv's python died (exit status 1)
    assert "ModuleNotFoundError: No module named 'encodings'" in done.stderr


@pytest.mark.parametrize("interp", [i for i in in_scope_interpreters()
                                    if i.version is not None and i.version[:2] <= (3, 10)
                                    and i.source == "pyenv"][:1],
                         ids=lambda i: ".".join(map(str, i.version)))
def test_a_venv_of_a_venv_dies_with_its_outer_venv_before_3_11(interp: object) -> None:
    chosen = basing.bases([interp.path])  # type: ignore[attr-defined]
    ran = campaign.run(builders.adapter("venv"), chosen, ("direct", "venv-of-venv"),
                       budget=120, seed=0)
    broken = [r for r in ran.reported
              if "venv.survives-outer-removal" in {f["promise"] for f in r.data["failures"]}]
    assert len(broken) == 1
    assert broken[0].found.result.case.placement.names == ("direct", "venv-of-venv")
    # The chain itself: home names the outer venv's bin directory.
    assert "venv.home-not-in-venv" in {f["promise"] for f in broken[0].data["failures"]}


@pytest.mark.parametrize("args, message", [
    (["conform", "no-such-builder"], "unknown venv builder 'no-such-builder'"),
    (["conform", "--cmd", "echo {python}"], "the template has no {target}"),
    (["conform", "--cmd", "x '{python}' {target}"], "is inside quotes"),
    (["conform", "venv", "--placements", "direct,nowhere"], "unknown placement 'nowhere'"),
    (["conform", "venv", "--cmd", "{python} {target}"], "one of them"),
    (["conform", "--replay", "/nonexistent/case.json"], "/nonexistent/case.json"),
])
def test_bad_input_is_one_line_and_exit_status_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0]


def test_strict_makes_a_hazard_fail_the_run(all_bases: list[basing.Base]) -> None:
    # virtualenv resolves a linked prefix fully (its home is the real directory): after the
    # link is retargeted, the venv still runs the old installation (a hazard).  A builder
    # template that does the same with stdlib venv: hand it the resolved interpreter.
    base = next((b for b in all_bases if b.pyenv_version), None)
    if base is None:
        pytest.skip("no pyenv installation here to link a prefix to")
    args = ["conform", "--cmd", 'p=$(realpath {python}); "$p" -m venv --without-pip {target}',
            "--python", base.executable, "--placements", "prefix-link,relocated",
            "--budget", "60"]
    relaxed = CliRunner().invoke(main, args)
    strict = CliRunner().invoke(main, [*args, "--strict"])
    assert relaxed.exit_code == 0, relaxed.output
    assert "hazard" in relaxed.output
    assert strict.exit_code == 1, strict.output
