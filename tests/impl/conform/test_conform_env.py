"""prefixlab conform --kind env: environment builders judged by the environment spec.

The expected outcomes are facts about the builders, not prefixlab's output:

* a *naive symlink join* (every file of the installation and of the packages linked into one
  tree, as nixpkgs' buildEnv does without a wrapper) gives an ``ENV/bin/python`` that is a
  link to the installation's binary; CPython resolves that link to find its prefix
  (Modules/getpath.py: the executable's real path, 3.11+; getpath.c before), so sys.prefix
  is the installation's and the packages linked into ENV's site-packages are not on sys.path;
* prefixlab's reference builder, run as any other tool through a template, makes an
  environment whose interpreter entries have ENV as their prefix (README, 'build env').
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from prefixlab.impl.cli.main import main
from prefixlab.impl.conform import bases as basing
from prefixlab.model.conform.placement import Base

pytestmark = pytest.mark.real

PREFIXLAB = os.path.join(os.path.dirname(sys.executable), "prefixlab")

NAIVE_JOIN = ('i=$(dirname "$(dirname "$(realpath {python})")"); mkdir -p {target} && '
              'for d in "$i" {packages}; do cp -rsf "$d"/. {target}/; done')
"""Every file of the installation and of each package linked into ENV (cp -rs merges the
trees; -f lets a later tree's file replace an earlier one's)."""

REFERENCE = ('set -- {packages}; for p; do set -- "$@" --package "$p"; shift; done; '
             + PREFIXLAB + ' build env --python {python} {target} "$@"')
"""prefixlab build env as a template: one --package option per package directory."""


@pytest.fixture(scope="module")
def base() -> Base:
    found = [b for b in basing.bases() if b.version >= (3, 11)]
    if not found:
        pytest.skip("no in-scope interpreter 3.11+ here")
    return found[-1]


def conform(*args: str) -> tuple[int, dict[str, object]]:
    import json

    done = CliRunner().invoke(main, ["conform", "--kind", "env", "--json", *args])
    assert done.exit_code in (0, 1), done.output
    return done.exit_code, json.loads(done.output)


def test_a_naive_symlink_join_loses_its_packages(base: Base) -> None:
    code, data = conform("--cmd", NAIVE_JOIN, "--python", base.executable, "--budget", "5")
    assert code == 1, data
    cases: list[dict[str, list[dict[str, str]]]] = data["failures"]  # type: ignore[assignment]
    promises = {f["promise"] for case in cases for f in case["failures"]}
    assert {"env.prefix", "env.imports"} <= promises, promises


def test_a_case_that_breaks_several_promises_is_shown_once(base: Base) -> None:
    done = CliRunner().invoke(main, ["conform", "--kind", "env", "--cmd", NAIVE_JOIN,
                                     "--python", base.executable, "--budget", "5"])
    assert done.exit_code == 1, done.output
    headers = [line.split(":")[0] for line in done.output.splitlines()
               if line.startswith("builder failure ")]
    assert headers and len(headers) == len(set(headers)), done.output
    assert any("env.prefix" in line and "env.imports" not in line.split(":")[0]
               for line in done.output.splitlines() if line.startswith("builder failure ")), \
        done.output


def test_the_reference_builder_as_a_template_keeps_the_spec(base: Base) -> None:
    code, data = conform("--cmd", REFERENCE, "--python", base.executable, "--budget", "5")
    assert code == 0, data
    counts: dict[str, int] = data["counts"]  # type: ignore[assignment]
    assert counts["judged"] >= 1, data


@pytest.mark.parametrize("template, message", [
    ("build {python} {target}", "the template has no {packages}"),
    ("build {python} {target} {packages} {system_site_packages}",
     "{system_site_packages} is for --kind venv"),
])
def test_an_env_template_needs_packages_and_no_venv_options(template: str,
                                                            message: str) -> None:
    done = CliRunner().invoke(main, ["conform", "--kind", "env", "--cmd", template])
    assert done.exit_code == 2, done.output
    lines = [line for line in done.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], done.output


def test_a_campaign_leaves_nothing_in_the_working_directory(tmp_path: Path) -> None:
    """Hypothesis keeps files of its own (its constants cache); they go to prefixlab's cache
    directory, never into the directory the user runs conform from."""
    import subprocess

    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run([PREFIXLAB, "conform", "--cmd", "false {python} {target}",
                           "--placements", "direct", "--budget", "3"], cwd=work,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(work)) == [], done.stderr


def test_a_template_case_reproduces_with_sh_alone(base: Base, tmp_path: Path) -> None:
    """The reproducer of a --cmd builder's case writes the packages, runs the builder and
    probes ENV/bin/python* with /bin/sh and coreutils (no prefixlab on PATH): for the naive
    join, the interpreter reports the installation as its prefix (the link resolved) and
    the packages' modules fail to import, as the case said."""
    import subprocess

    code, data = conform("--cmd", NAIVE_JOIN, "--python", base.executable, "--budget", "5")
    assert code == 1, data
    failures: list[dict[str, object]] = data["failures"]  # type: ignore[assignment]
    case = next(f for f in failures
                if "env.prefix" in {str(x["promise"]) for x in f["failures"]})  # type: ignore
    text = str(case["reproducer"])
    assert text.startswith("#!/bin/sh\n")
    assert not any(line.startswith("prefixlab ") for line in text.splitlines())
    script = tmp_path / "repro.sh"
    script.write_text(text)
    done = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "builder status: 0" in out, out
    root = out.split("case directory: ", 1)[1].split("\n", 1)[0]
    prefixes = [line.split(" = ", 1)[1] for line in out.splitlines()
                if line.startswith("sys.prefix = ")]
    # (cp -rs of "$i"/. makes links through '.', which getpath's prefix may keep)
    assert prefixes and all(os.path.normpath(p) == base.prefix for p in prefixes), \
        (prefixes, base.prefix)
    assert f"{root}/env" not in prefixes
    assert "FAILED: ModuleNotFoundError" in out, out
    assert "expected (env.prefix): " in out
