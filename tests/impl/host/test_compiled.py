"""The compiled build of the model answers exactly as the Python package does.

bench/compiled.py puts the same model source through mypyc (build/mypyc/).  The Python
package stays what prefixlab installs and what every other test runs; the compiled build is
an optional accelerator the benchmark times, so it must never answer differently.  The check:
generated start-up cases for every interpreter here are predicted by both, and the outcomes
(JSON, trace included) must be equal, case by case.

* Default suite: runs when a build of the current source exists; otherwise it is skipped
  with the reason.  The build is an optional artifact under test, not an oracle, so
  PREFIXLAB_REQUIRE_ORACLES does not turn that skip into a failure.
* ``--sweep``: builds it first when needed (mypyc and a C compiler; a few minutes of CPU),
  then checks more cases.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, in_scope_interpreters, interpreter_id, require_oracle

from prefixlab.impl.host.interpreters import Interpreter

from prefixlab.model.world.build import behaviour_for
from prefixlab.model.startup.predict import predict
from prefixlab.model.strategies.startup import Target

BENCH = REPO / "bench"
sys.path.insert(0, str(BENCH))
import compiled  # noqa: E402  (bench/compiled.py)
import model_worker  # noqa: E402  (bench/model_worker.py)
import predictions  # noqa: E402  (bench/predictions.py: the same case generation)


def _outcomes_compiled(records: list[model_worker.Record], tmp: Path,
                       python: str = sys.executable, root: Path = compiled.ROOT
                       ) -> list[dict[str, Any]]:
    """Every case's outcome JSON, predicted by the compiled build at ``root`` in a worker
    process of ``python`` (-I -S: it imports nothing but the build)."""
    cases = tmp / "cases.pickle"
    cases.write_bytes(pickle.dumps(records))
    done = subprocess.run([python, "-I", "-S", "-B", model_worker.__file__, str(cases),
                           str(root)], input="outcomes\nquit\n", capture_output=True,
                          text=True, check=True, timeout=600)
    ready, answer = (json.loads(line) for line in done.stdout.splitlines()[:2])
    assert ready["compiled"], f"the worker imported {ready['model']}, not the compiled build"
    outcomes: list[dict[str, Any]] = answer["outcomes"]
    return outcomes


def _check(per_interpreter: int, tmp: Path, python: str = sys.executable,
           root: Path = compiled.ROOT) -> None:
    interpreters = [i for i in in_scope_interpreters() if i.version is not None]
    assert interpreters, "no interpreter to draw cases for"
    records: list[model_worker.Record] = []
    expected: list[dict[str, Any]] = []
    for n, interp in enumerate(interpreters):
        constants = interp.constants
        assert constants is not None
        behaviour_for(constants.version)  # in scope
        target = Target(constants.version, constants.platlibdir, constants.abi_thread)
        for p in predictions.prepare(predictions.generate(target, per_interpreter, n),
                                     constants):
            records.append(model_worker.record(p.world, p.bound.invocation))
            # As the worker's answer travels: through JSON.
            expected.append(json.loads(json.dumps(predict(p.world, p.bound.invocation)
                                                  .to_json())))
    got = _outcomes_compiled(records, tmp, python, root)
    assert len(got) == len(expected)
    for i, (mine, theirs) in enumerate(zip(expected, got)):
        assert theirs == mine, f"case {i}: the compiled build differs\n{records[i]!r}"


def test_compiled_build_answers_as_the_python_package(tmp_path: Path) -> None:
    why = compiled.why_unavailable()
    if why:
        pytest.skip(why)
    _check(150, tmp_path)


@pytest.mark.parametrize("interp", [i for i in in_scope_interpreters()
                                    if i.version is not None and i.version >= (3, 11)],
                         ids=interpreter_id)
def test_builds_for_other_interpreters_answer_as_the_python_package(
        tmp_path: Path, interp: Interpreter) -> None:
    """bench/compiled.py --python makes a build for another interpreter's ABI (the model needs
    3.11+); run there, it must answer as the Python package does here."""
    root = compiled.root_for(interp.path)
    why = compiled.why_unavailable(root)
    if why:
        pytest.skip(f"{interp.path}: {why}")
    _check(40, tmp_path, interp.path, root)


@pytest.mark.sweep
def test_compiled_build_answers_as_the_python_package_long(tmp_path: Path) -> None:
    require_oracle(shutil.which("cc") is not None, "no C compiler for the compiled build")
    if compiled.why_unavailable():
        compiled.build()
    _check(1000, tmp_path)


# -- prefixlab running the compiled build: PREFIXLAB_COMPILED ----------------------------------
_WHICH_MODEL = ("from prefixlab.impl.cli.launch import _compiled_model; _compiled_model()\n"
                "import prefixlab.model.startup.predict as startup; print(startup.__file__)")


def _run(args: list[str], compiled_dir: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PREFIXLAB_COMPILED", "PYTHONPATH")}
    if compiled_dir is not None:
        env["PREFIXLAB_COMPILED"] = compiled_dir
    return subprocess.run(args, capture_output=True, text=True, env=env, check=False,
                          timeout=300)


def _predict_args() -> list[str]:
    """A prediction for the first interpreter here, in an environment of its own (so the
    caller's PREFIXLAB_COMPILED is no part of what is predicted)."""
    interpreters = in_scope_interpreters()
    assert interpreters, "no interpreter to predict for"
    prefixlab = str(Path(sys.executable).with_name("prefixlab"))
    return [prefixlab, "predict", "--json", "--clear-env", "--env", "PATH=/usr/bin:/bin",
            interpreters[0].path, "-S"]


def test_prefixlab_runs_the_compiled_build_when_asked() -> None:
    why = compiled.why_unavailable()
    if why:
        pytest.skip(why)
    where = _run([sys.executable, "-c", _WHICH_MODEL], str(compiled.ROOT))
    assert where.returncode == 0 and where.stderr == "", where.stderr
    assert Path(where.stdout.strip()).is_relative_to(compiled.ROOT), where.stdout
    assert where.stdout.strip().endswith(".so"), f"the Python copy ran: {where.stdout}"
    fast, plain = _run(_predict_args(), str(compiled.ROOT)), _run(_predict_args(), None)
    assert fast.returncode == plain.returncode == 0, fast.stderr + plain.stderr
    assert fast.stderr == ""
    assert json.loads(fast.stdout) == json.loads(plain.stdout)


@pytest.mark.parametrize("stamp, why", [(None, "SOURCES missing"),
                                        ("not the sources' hash", "the build is stale")])
def test_a_missing_or_stale_build_is_not_used(tmp_path: Path, stamp: str | None,
                                              why: str) -> None:
    """The build must be of exactly the installed sources: otherwise one line on stderr says
    why, and the Python package answers."""
    if stamp is not None:
        (tmp_path / "SOURCES").write_text(stamp + "\n")
    where = _run([sys.executable, "-c", _WHICH_MODEL], str(tmp_path))
    assert where.returncode == 0
    assert not Path(where.stdout.strip()).is_relative_to(tmp_path)
    assert where.stdout.strip().endswith(".py"), where.stdout
    lines = where.stderr.splitlines()
    assert len(lines) == 1 and why in lines[0] and "running the Python model" in lines[0], lines
    predicted = _run(_predict_args(), str(tmp_path))
    assert predicted.returncode == 0 and json.loads(predicted.stdout)["status"] == "ok"
