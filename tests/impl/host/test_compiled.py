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

from prefixlab.impl.host import compiled as build_id
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


# -- prefixlab running the compiled build: by default, PREFIXLAB_COMPILED -----------------------
_WHICH_MODEL = ("from prefixlab.impl.cli.launch import _compiled_model; _compiled_model()\n"
                "import prefixlab.model.startup.predict as startup; print(startup.__file__)")


def _which_model_at(default_root: Path) -> str:
    """_WHICH_MODEL with the default place of the build moved to ``default_root`` (the
    checkout's own build/mypyc is not the tests' to break)."""
    return ("import prefixlab.impl.host.compiled as c\n"
            f"c.default_root = lambda: {str(default_root)!r}\n{_WHICH_MODEL}")


def _run(args: list[str], compiled_dir: str | None) -> subprocess.CompletedProcess[str]:
    """``args`` run with PREFIXLAB_COMPILED=``compiled_dir``, or unset (None): the default."""
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


def test_the_default_build_is_the_checkouts() -> None:
    """The editable install's files lead to the checkout, whose build/mypyc is the default."""
    assert Path(build_id.default_root()) == compiled.ROOT


@pytest.mark.parametrize("setting", [None, str(compiled.ROOT)], ids=["default", "named"])
def test_prefixlab_runs_a_current_build(setting: str | None) -> None:
    """A current build is used without being asked for, and when named."""
    why = compiled.why_unavailable()
    if why:
        pytest.skip(why)
    where = _run([sys.executable, "-c", _WHICH_MODEL], setting)
    assert where.returncode == 0 and where.stderr == "", where.stderr
    assert Path(where.stdout.strip()).is_relative_to(compiled.ROOT), where.stdout
    assert where.stdout.strip().endswith(".so"), f"the Python copy ran: {where.stdout}"
    fast, plain = _run(_predict_args(), setting), _run(_predict_args(), "0")
    assert fast.returncode == plain.returncode == 0, fast.stderr + plain.stderr
    assert fast.stderr == ""
    assert json.loads(fast.stdout) == json.loads(plain.stdout)


@pytest.mark.parametrize("setting, compiled_expected",
                         [(None, False), (str(compiled.ROOT), True)], ids=["default", "named"])
def test_a_command_of_few_predictions_takes_a_build_only_when_named(
        setting: str | None, compiled_expected: bool) -> None:
    """predict, explain, diff, which and the builders make one prediction to a few dozen:
    the checkout's build is theirs only when PREFIXLAB_COMPILED names it (loading it costs
    them more than it saves)."""
    why = compiled.why_unavailable()
    if why:
        pytest.skip(why)
    code = _WHICH_MODEL.replace("_compiled_model()", "_compiled_model(few=True)")
    where = _run([sys.executable, "-c", code], setting)
    assert where.returncode == 0 and where.stderr == "", where.stderr
    assert where.stdout.strip().endswith(".so") is compiled_expected, where.stdout


@pytest.mark.parametrize("words, few", [(["predict", "x"], True), (["explain"], True),
                                        (["build", "venv"], True), (["diff"], True),
                                        (["-q", "conform", "venv"], False),
                                        (["conform", "venv"], False)])
def test_only_a_campaign_takes_the_build_by_default(words: list[str], few: bool,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from prefixlab.impl.cli import launch

    seen: list[bool] = []
    monkeypatch.setattr(launch, "_compiled_model", lambda *, few: seen.append(few))
    monkeypatch.setattr(sys, "argv", ["prefixlab", *words])
    monkeypatch.setattr("prefixlab.impl.cli.main.main", lambda: None)
    monkeypatch.setattr("prefixlab.impl.cli.fast.fast_main", lambda args: None)
    monkeypatch.setattr("prefixlab.impl.cli.build_venv.fast_main", lambda args: None)
    launch.main()
    assert seen == [few]


def test_off_switch_runs_the_python_package() -> None:
    """PREFIXLAB_COMPILED=0: the Python package, silently, whatever is built."""
    where = _run([sys.executable, "-c", _WHICH_MODEL], "0")
    assert where.returncode == 0 and where.stderr == "", where.stderr
    assert where.stdout.strip().endswith(".py"), where.stdout
    assert not Path(where.stdout.strip()).is_relative_to(compiled.ROOT)


@pytest.mark.parametrize("command", ["explain", "build venv", "build env"])
def test_commands_say_the_same_with_the_build(tmp_path: Path, command: str) -> None:
    """prefixlab's other commands through the compiled model (its classes are native: no
    __dict__, no interpreted subclasses) print what they print with the Python package; the
    tests' other `prefixlab` commands run the Python package."""
    why = compiled.why_unavailable()
    if why:
        pytest.skip(why)
    interpreter = in_scope_interpreters()[0].path
    prefixlab = str(Path(sys.executable).with_name("prefixlab"))
    outputs = []
    for setting in (str(compiled.ROOT), "0"):
        target = tmp_path / ("compiled" if setting != "0" else "python")
        args = {"explain": ["explain", "--clear-env", "--env", "PATH=/usr/bin:/bin",
                            interpreter, "-S"],
                "build venv": ["build", "venv", str(target), "--python", interpreter],
                "build env": ["build", "env", str(target), "--python", interpreter]}[command]
        done = _run([prefixlab, *args], setting)
        assert done.returncode == 0, done.stderr
        outputs.append((done.stdout + done.stderr).replace(str(target), "TARGET"))
    assert outputs[0] == outputs[1]


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


def test_no_default_build_is_silent(tmp_path: Path) -> None:
    """Nothing built where the default build would be (make explain's set-up, a wheel): the
    Python package runs and nothing is said."""
    where = _run([sys.executable, "-c", _which_model_at(tmp_path / "mypyc")], None)
    assert where.returncode == 0 and where.stderr == "", where.stderr
    assert where.stdout.strip().endswith(".py"), where.stdout


@pytest.mark.parametrize("files, why", [(None, "stale"), ("another-abi.so\n", "another "
                                                                             "interpreter")])
def test_a_stale_default_build_says_so_in_one_line(tmp_path: Path, files: str | None,
                                                   why: str) -> None:
    """The default build, stale or made for another interpreter: one line on stderr naming
    the build's directory and the fix, and the Python package runs."""
    root = tmp_path / "mypyc"
    root.mkdir()
    (root / "SOURCES").write_text("not the sources' hash\n")
    if files is not None:
        (root / "FILES").write_text(files)
    where = _run([sys.executable, "-c", _which_model_at(root)], None)
    assert where.returncode == 0
    assert where.stdout.strip().endswith(".py"), where.stdout
    lines = where.stderr.splitlines()
    assert len(lines) == 1, lines
    assert str(root) in lines[0] and why in lines[0] and "make compiled" in lines[0], lines


# -- the check at start-up: stat() first, the hash only when they differ --------------------------
def _fake_build(tmp_path: Path) -> tuple[str, str]:
    """A model package of two files and a build record of it (no code: the check reads only
    the record)."""
    model, root = tmp_path / "model", tmp_path / "build"
    (model / "sub").mkdir(parents=True)
    (model / "__init__.py").write_text("A = 1\n")
    (model / "sub" / "m.py").write_text("B = 2\n")
    (model / "sub" / "notes.txt").write_text("not a source\n")
    root.mkdir()
    (root / "SOURCES").write_text(build_id.stamp(model) + "\n")
    old = 1_000_000_000_000_000_000
    for path in build_id.sources(model):  # long ago: nothing is 'racy'
        os.utime(path, ns=(old, old))
    build_id.write_files(str(root), str(model), build_id.extension_suffix())
    return str(root), str(model)


def test_a_current_build_is_checked_without_hashing(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root, model = _fake_build(tmp_path)

    def no_hash(_: Path) -> str:
        raise AssertionError("the sources were hashed")

    monkeypatch.setattr(build_id, "stamp", no_hash)
    assert build_id.why_not_usable(root, model) == ""


def test_touched_sources_are_hashed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same bytes with a new time: hashed, found current, and recorded again, so the next
    check is by stat() alone."""
    root, model = _fake_build(tmp_path)
    os.utime(Path(model) / "sub" / "m.py", ns=(1_500_000_000_000_000_000,) * 2)
    assert build_id.why_not_usable(root, model) == ""
    monkeypatch.setattr(build_id, "stamp", lambda _: "hashed again")
    assert build_id.why_not_usable(root, model) == ""


@pytest.mark.parametrize("change", ["edit", "add", "remove"])
def test_changed_sources_make_the_build_stale(tmp_path: Path, change: str) -> None:
    root, model = _fake_build(tmp_path)
    target = Path(model) / "sub" / "m.py"
    if change == "edit":
        target.write_text("B = 3\n")
    elif change == "add":
        (Path(model) / "sub" / "new.py").write_text("")
    else:
        target.unlink()
    assert "stale" in build_id.why_not_usable(root, model)


def test_a_file_written_just_before_it_is_recorded_is_not_trusted(tmp_path: Path) -> None:
    """The same clock tick can hold a later write (git's racy index entries): such a file is
    recorded with size -1, which no stat() matches, so the first check hashes."""
    root, model = _fake_build(tmp_path)
    lines = build_id.file_stats(model, now_ns=1_000_000_000_000_000_000 + 1)
    assert lines and all(line.startswith("-1 ") for line in lines)
    assert build_id.file_stats(model, now_ns=None) == [
        line for line in (Path(root) / "FILES").read_text().splitlines()[1:]]


# -- pip install .: pure Python unless PREFIXLAB_MYPYC=1 ---------------------------------------
def _wheel(tmp_path: Path, mypyc: bool) -> Path:
    """The wheel pip builds from a copy of the sources (setup.py, pyproject.toml, README.md,
    model/, impl/), with PREFIXLAB_MYPYC=1 or without it."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    for name in ("model", "impl"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if k != "PREFIXLAB_MYPYC"}
    if mypyc:
        env["PREFIXLAB_MYPYC"] = "1"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                           "--disable-pip-version-check", "-w", str(tmp_path / "dist"),
                           str(src)], capture_output=True, text=True, env=env, check=False,
                          timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheels = list((tmp_path / "dist").glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _model_module(wheel: Path, tmp_path: Path) -> str:
    """The file prefixlab.model.world.kernel is imported from, out of the unpacked wheel."""
    unpacked = tmp_path / "unpacked"
    shutil.unpack_archive(wheel, unpacked, "zip")
    done = subprocess.run([sys.executable, "-I", "-S", "-c",
                           f"import sys; sys.path.insert(0, {str(unpacked)!r})\n"
                           "import prefixlab.model.startup.predict\n"
                           "import prefixlab.model.world.kernel as k; print(k.__file__)"],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_wheel_is_pure_python_by_default(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, mypyc=False)
    assert wheel.name.endswith("-py3-none-any.whl"), wheel.name
    assert _model_module(wheel, tmp_path).endswith(".py")


@pytest.mark.sweep
def test_prefixlab_mypyc_compiles_the_wheels_model(tmp_path: Path) -> None:
    """PREFIXLAB_MYPYC=1: a wheel for this interpreter whose model modules are compiled (pip
    installs mypy into the build environment; a few minutes of CPU)."""
    require_oracle(compiled.c_compiler() is not None, "no C compiler for the compiled wheel")
    wheel = _wheel(tmp_path, mypyc=True)
    assert "-cp3" in wheel.name and wheel.name.endswith(".whl"), wheel.name
    assert _model_module(wheel, tmp_path).endswith(build_id.extension_suffix())


def test_without_a_c_compiler_the_build_is_left_out_in_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """make test's set-up (--if-possible) goes on without a C compiler; make compiled fails."""
    monkeypatch.setenv("CC", "no-such-cc")
    monkeypatch.setattr(compiled, "is_current", lambda root=compiled.ROOT: False)
    monkeypatch.setattr(compiled, "build", lambda **_: pytest.fail("a build was attempted"))
    for argv, code in ((["--if-possible"], 0), ([], 1)):
        monkeypatch.setattr(sys, "argv", ["compiled.py", *argv])
        assert compiled.main() == code
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 1 and "no C compiler (no-such-cc" in lines[0], lines
