"""`build env`'s cached plans (impl/builders/envcache.py): a rebuild of the same environment
writes the plan made before without importing the planner, and a plan is never used once
anything it was made from changed.  The property: a build from the cache makes exactly the
tree a build without the cache (--no-cache: learned and planned afresh) makes, whatever
happened to the package trees in between; the judge of the environments themselves is the
real interpreter."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import in_scope_interpreters, require_oracle
from support.envtrees import env_tree
from prefixlab.impl.builders import env as envbuild
from prefixlab.impl.builders import learncache
from prefixlab.impl.builders.envsteps import DEFAULT_PRIORITY
from prefixlab.impl.cli import build_env
from prefixlab.model.builders import buildenv

INTERPRETERS = in_scope_interpreters()

pytestmark = pytest.mark.real


def _python() -> str:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    return INTERPRETERS[-1].path


def _minor(python: str) -> str:
    return "%d.%d" % envbuild.learn_interpreter(python).build.version[:2]


def _package(root: Path, minor: str) -> Path:
    site = root / "lib" / f"python{minor}" / "site-packages"
    (site / "cachedpkg").mkdir(parents=True)
    (site / "cachedpkg" / "__init__.py").write_text("VALUE = 42\n")
    (site / "cachedpkg" / "data.txt").write_text("twelve bytes")
    (root / "bin").mkdir()
    script = root / "bin" / "cachedpkg-run"
    script.write_text("#!/usr/bin/python3\nimport cachedpkg\nprint(cachedpkg.VALUE)\n")
    script.chmod(0o755)
    (root / "bin" / "alias").symlink_to("cachedpkg-run")
    return root


class Builds:
    """In-process builds of one environment, counting the plans made."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        monkeypatch.chdir(tmp_path)
        self.target = tmp_path / "env"
        self.planned = 0
        real = envbuild.plan_env

        def counted(*args: object, **kwargs: object) -> object:
            self.planned += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(envbuild, "plan_env", counted)

    def build(self, python: str, packages: list[str], *, cache: bool = True
              ) -> dict[str, str]:
        shutil.rmtree(self.target, ignore_errors=True)
        build_env.run(str(self.target), python, packages, quiet=True, use_cache=cache)
        return env_tree(self.target)


def test_a_rebuild_writes_the_cached_plan(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    python = _python()
    package = _package(tmp_path / "pkg", _minor(python))
    builds = Builds(tmp_path, monkeypatch)
    first = builds.build(python, [str(package)])
    first_out = capsys.readouterr().out
    second = builds.build(python, [str(package)])
    assert builds.planned == 1, "the rebuild planned again"
    assert second == first and capsys.readouterr().out == first_out
    assert builds.build(python, [str(package)], cache=False) == first
    assert builds.planned == 2


def _mutations(minor: str) -> dict[str, Callable[[Path], None]]:
    site = f"lib/python{minor}/site-packages"
    return {
        "a module added": lambda r: (r / site / "newmod.py").write_text("X = 1\n"),
        "a file removed": lambda r: (r / site / "cachedpkg" / "data.txt").unlink(),
        "a file rewritten, size and mtime kept": lambda r: _rewrite_and_keep(
            r / site / "cachedpkg" / "data.txt"),
        "a file made a link": lambda r: _replace(r / site / "cachedpkg" / "data.txt",
                                                 lambda p: p.symlink_to("__init__.py")),
        "a link retargeted": lambda r: _replace(r / "bin" / "alias",
                                                lambda p: p.symlink_to("../lib")),
        "a script's mode changed": lambda r: (r / "bin" / "cachedpkg-run").chmod(0o644),
        "a directory added to bin": lambda r: (r / "bin" / "more").mkdir(),
        "share added": lambda r: (r / "share" / "doc").mkdir(parents=True),
        "the package dir made a link to a copy": _dir_to_link,
    }


def _rewrite_and_keep(path: Path) -> None:
    before = os.stat(path)
    data = path.read_bytes()
    path.write_bytes(data.upper())
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _replace(path: Path, make: Callable[[Path], None]) -> None:
    path.unlink()
    make(path)


def _dir_to_link(root: Path) -> None:
    """site-packages/cachedpkg becomes a link to a copy elsewhere in the package (a link
    leaving the package is refused)."""
    site = next(root.glob("lib/python*/site-packages"))
    copy = root / "opt" / "cachedpkg"
    shutil.copytree(site / "cachedpkg", copy, symlinks=True)
    (copy / "extra.py").write_text("")
    shutil.rmtree(site / "cachedpkg")
    (site / "cachedpkg").symlink_to(os.path.relpath(copy, site))


@pytest.mark.parametrize("mutation", list(_mutations("3.X")))
def test_a_changed_package_is_planned_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            mutation: str) -> None:
    """One change to a package tree between two builds: the second plans again and builds
    what a build without the cache builds."""
    python = _python()
    minor = _minor(python)
    package = _package(tmp_path / "pkg", minor)
    builds = Builds(tmp_path, monkeypatch)
    builds.build(python, [str(package)])
    _mutations(minor)[mutation](package)
    after = builds.build(python, [str(package)])
    assert builds.planned == 2, "the changed package was not planned again"
    assert after == builds.build(python, [str(package)], cache=False)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(sorted(_mutations("3.X"))) | st.none(), max_size=4))
def test_a_cached_build_is_an_uncached_build(tmp_path_factory: pytest.TempPathFactory,
                                             steps: list[str | None]) -> None:
    """Any sequence of changes (None: nothing changed), a build after each: from the cache or
    not, the same tree, and a plan made only when something changed."""
    python = _python()
    minor = _minor(python)
    tmp_path = tmp_path_factory.mktemp("plans")
    package = _package(tmp_path / "pkg", minor)
    with pytest.MonkeyPatch.context() as monkeypatch:
        builds = Builds(tmp_path, monkeypatch)
        builds.build(python, [str(package)])
        for step in steps:
            planned = builds.planned
            if step is not None:
                try:
                    _mutations(minor)[step](package)
                except (FileNotFoundError, FileExistsError, NotADirectoryError,
                        shutil.Error):
                    step = None  # not applicable to the tree as it is now
            cached = builds.build(python, [str(package)])
            if step is None:
                assert builds.planned == planned, "planned again with nothing changed"
            assert cached == builds.build(python, [str(package)], cache=False), steps


def test_the_priority_and_the_target_are_part_of_the_request(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    python = _python()
    package = _package(tmp_path / "pkg", _minor(python))
    builds = Builds(tmp_path, monkeypatch)
    builds.build(python, [str(package)])
    builds.build(python, [f"{package}=3"])
    assert builds.planned == 2
    builds.target = tmp_path / "elsewhere"
    builds.build(python, [f"{package}=3"])
    assert builds.planned == 3


def test_the_light_default_priority_is_the_models() -> None:
    assert DEFAULT_PRIORITY == buildenv.DEFAULT_PRIORITY


def test_a_rebuild_does_not_import_the_planner(tmp_path: Path) -> None:
    """A second `prefixlab build env` of the same environment: the model's planner, its world
    and the learner are not imported, and the environment is the same (its interpreter
    reports it as its prefix)."""
    python = _python()
    package = _package(tmp_path / "pkg", _minor(python))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    code = ("import sys\n"
            "from prefixlab.impl.cli import launch\n"
            "sys.argv = ['prefixlab', *sys.argv[1:]]\n"
            "try:\n    launch.main()\nexcept SystemExit:\n    pass\n"
            "sys.stdout.flush()\n"
            "print(json.dumps(sorted(m for m in sys.modules if m in WATCHED)))\n")
    code = ("import json\nWATCHED = {'prefixlab.model.builders.buildenv', "
            "'prefixlab.model.world', 'prefixlab.impl.builders.env', 'dataclasses', "
            "'typing'}\n") + code
    outputs = []
    for _ in range(2):
        shutil.rmtree(tmp_path / "e", ignore_errors=True)
        done = subprocess.run([sys.executable, "-c", code, "build", "env", "e", "--python",
                               python, "--package", str(package)], capture_output=True,
                              text=True, cwd=tmp_path, timeout=300, env=env)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        outputs.append(done.stdout.splitlines())
    assert outputs[0][0] == outputs[1][0]  # the counts line
    assert json.loads(outputs[0][-1]) != [], "the first build planned nothing"
    assert json.loads(outputs[1][-1]) == [], outputs[1]
    probe = subprocess.run([str(tmp_path / "e" / "bin" / "python3"), "-c",
                            "import sys, cachedpkg; print(sys.prefix, cachedpkg.VALUE)"],
                           capture_output=True, text=True, timeout=60,
                           env={"PATH": "/usr/bin:/bin"})
    assert probe.stdout.split() == [str(tmp_path / "e"), "42"], probe.stderr


def test_an_entry_name_is_the_same_for_equal_keys_built_apart() -> None:
    """marshal's newer formats mark objects referenced twice and interned strings: equal
    keys built apart must still name one entry."""
    shared = "".join(["py", "thon"])
    one = [shared, shared, ("a", 1)]
    two = ["python", "".join(["pyt", "hon"]), ("a", 1)]
    assert one == two
    assert learncache.digest(one) == learncache.digest(two)


def test_a_plan_for_another_interpreter_is_not_used(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """--python a link, retargeted to another version between two builds of the same
    environment: the second is planned for the interpreter the link now leads to."""
    two: dict[tuple[int, ...], str] = {}
    for interp in INTERPRETERS:
        if interp.constants is not None and interp.version is not None:
            two.setdefault(interp.version[:2], interp.path)
    require_oracle(len(two) >= 2, "two CPython versions are needed")
    (old_version, old), (new_version, new) = list(two.items())[:2]
    link = tmp_path / "python"
    link.symlink_to(old)
    builds = Builds(tmp_path, monkeypatch)
    builds.build(str(link), [])
    link.unlink()
    link.symlink_to(new)
    rebuilt = builds.build(str(link), [])
    assert builds.planned == 2
    assert "lib/python%d.%d/os.py" % new_version[:2] in rebuilt
    assert "lib/python%d.%d" % old_version[:2] not in rebuilt


def test_the_plans_kept_are_the_latest_written_or_used(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan per TARGET: prune keeps the ones written or used last, and removes the rest."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    paths = []
    for index in range(5):
        key = ["plan", index]
        paths.append(learncache.entry_path("env-plan", key))
        learncache.write(paths[-1], {"key": key})
        os.utime(paths[-1], ns=(index * 10**9, index * 10**9))
    learncache.touch(paths[0])  # used now: the latest
    learncache.prune("env-plan", 3)
    assert [os.path.exists(p) for p in paths] == [True, False, False, True, True]
    learncache.prune("env-plan", 3)  # nothing more to remove
    assert sum(os.path.exists(p) for p in paths) == 3


def test_the_checks_past_the_plan_run_on_a_cached_build(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """TARGET's directory gone, or TARGET made a link into a package: a cached build stops
    with the line a planned build says (both checks look past the planner's snapshot)."""
    from prefixlab.impl.builders.envsteps import EnvError

    python = _python()
    package = _package(tmp_path / "pkg", _minor(python))
    builds = Builds(tmp_path, monkeypatch)
    builds.build(python, [str(package)])
    shutil.rmtree(builds.target)
    builds.target.symlink_to(package / "bin")
    said = []
    for cache in (True, False):
        with pytest.raises(EnvError) as failed:
            build_env.run(str(builds.target), python, [str(package)], force=True,
                          quiet=True, use_cache=cache)
        said.append(str(failed.value))
    assert said[0] == said[1] and "inside" in said[0], said
    builds.target.unlink()
    builds.target = tmp_path / "gone" / "env"
    builds.target.parent.mkdir()
    builds.build(python, [str(package)])
    shutil.rmtree(tmp_path / "gone")
    with pytest.raises(EnvError, match="the directory TARGET is to be made in does not exist"):
        build_env.run(str(builds.target), python, [str(package)], quiet=True)
