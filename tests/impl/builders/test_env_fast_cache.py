"""`build env`'s click-free start and its cache of what was learned about the interpreter
(impl/cli/build_env.py fast_main, impl/builders/env.py learn_interpreter,
impl/builders/learncache.py).

The plain spellings are served without click and say what the click command says; a warm
build neither learns again nor imports the model's start-up code; the cache survives what
happens beside the environments (other environments, temporaries in the working
directory) and is learned again when something the answer rests on changes.  The judge of
the built environments is the real interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from conftest import in_scope_interpreters, require_oracle
from support.envtrees import env_tree
from prefixlab.impl.builders import learncache
from prefixlab.impl.host.interpreters import Interpreter

INTERPRETERS = in_scope_interpreters()
PROBE = "import sys, json; print(json.dumps([sys.prefix, sys.base_prefix, sys.path]))"


def _env(tmp_path: Path) -> dict[str, str]:
    found = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    found["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    found.pop("VIRTUAL_ENV", None)
    return found


def _launch(tmp_path: Path, *args: str, cwd: Path | None = None) -> list[str]:
    """Run `prefixlab ARGS` through the entry point in a fresh process; the exit status and
    whether click, the model's start-up and the nix flavours were imported, one per line,
    after the command's own output (stdout)."""
    code = ("import sys\n"
            "from prefixlab.impl.cli import launch\n"
            f"sys.argv = ['prefixlab', *{list(args)!r}]\n"
            "try:\n    launch.main()\nexcept SystemExit as done:\n    code = done.code\n"
            "sys.stdout.flush()\n"
            "print(code)\n"
            "for name in ('click', 'prefixlab.model.startup.predict',\n"
            "             'prefixlab.impl.builders.nix'):\n"
            "    print(name in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=cwd or tmp_path, timeout=300, env=_env(tmp_path))
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _package(root: Path, version: str) -> Path:
    site = root / "lib" / f"python{version}" / "site-packages"
    (site / "fastpkg").mkdir(parents=True)
    (site / "fastpkg" / "__init__.py").write_text("VALUE = 42\n")
    (root / "bin").mkdir()
    script = root / "bin" / "fastpkg-run"
    script.write_text("#!/usr/bin/python3\nimport fastpkg\nprint(fastpkg.VALUE)\n")
    script.chmod(0o755)
    return root


def _probe(python: Path) -> list[object]:
    done = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ.get("PATH", "")})
    assert done.returncode == 0, done.stderr
    found: list[object] = json.loads(done.stdout)
    return found


def _version(python: str) -> str:
    from prefixlab.impl.builders.env import learn_interpreter

    return "%d.%d" % learn_interpreter(python).build.version[:2]


@pytest.mark.real
def test_the_plain_spelling_starts_without_click_and_says_what_click_says(
        tmp_path: Path) -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    python = INTERPRETERS[-1].path
    package = _package(tmp_path / "pkg", _version(python))
    fast = _launch(tmp_path, "build", "env", "fast", "--python", python,
                   "--package", str(package))
    # --option sends the same build through the click command.
    slow = _launch(tmp_path, "build", "env", "slow", "--python", python,
                   "--package", str(package), "--option", "unused=1")
    # The first build learns the interpreter: the model's start-up is imported then.
    assert [fast[-4], fast[-3], fast[-1]] == ["0", "False", "False"], fast
    assert slow[-4] == "0" and slow[-3] == "True", slow
    assert fast[:-4] == [line.replace("/slow:", "/fast:") for line in slow[:-4]]
    assert env_tree(tmp_path / "fast") == env_tree(tmp_path / "slow")


@pytest.mark.real
def test_json_and_errors_of_the_plain_spelling(tmp_path: Path) -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    python = INTERPRETERS[-1].path
    code = ("import sys\n"
            "from prefixlab.impl.cli import launch\n"
            "sys.argv = ['prefixlab', *sys.argv[1:]]\n"
            "launch.main()\n")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                              text=True, cwd=tmp_path, timeout=300, env=_env(tmp_path))

    done = run("build", "env", "e", "--python", python, "--json")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    data = json.loads(done.stdout)
    assert data["target"] == str(tmp_path / "e") and data["flavour"] == "reference"
    again = run("build", "env", "e", "--python", python)
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr.startswith("prefixlab build env: ") and again.stderr.count("\n") == 1
    missing = run("build", "env", "f", "--python", python, "--package",
                  str(tmp_path / "nothing"))
    assert missing.returncode == 2
    assert missing.stderr == (f"prefixlab build env: {tmp_path / 'nothing'}: --package does "
                              "not exist\n")


@pytest.mark.real
def test_a_warm_build_does_not_learn_again_whatever_is_built_beside_it(
        tmp_path: Path) -> None:
    """The working directory fills with environments and other processes' temporaries: the
    learned interpreter stays valid (its listing is not what the answer rests on)."""
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    python = INTERPRETERS[0].path
    work = tmp_path / "work"
    work.mkdir()
    first = _launch(tmp_path, "build", "env", "one", "--python", python, cwd=work)
    assert first[-4:-2] == ["0", "False"] and first[-2] == "True", first  # learned
    (work / ".tmp-someone-else").write_text("")
    (work / "other").mkdir()
    second = _launch(tmp_path, "build", "env", "two", "--python", python, cwd=work)
    assert second[-4:] == ["0", "False", "False", "False"], second  # not learned again
    for env in ("one", "two"):
        prefix, base, _ = _probe(work / env / "bin" / "python3")
        assert prefix == base == str(work / env)
    fresh = _launch(tmp_path, "build", "env", "three", "--python", python, "--no-cache",
                    cwd=work)
    assert fresh[-4:-1] == ["0", "False", "True"], fresh


@pytest.mark.real
def test_the_learning_is_redone_when_what_it_read_changes(tmp_path: Path) -> None:
    """--python a link: pointed at another interpreter, the environment is built on that
    one (the link is among what the learning read)."""
    two: dict[tuple[int, ...], Interpreter] = {}
    for interp in INTERPRETERS:
        if interp.constants is not None and interp.version is not None:
            two.setdefault(interp.version[:2], interp)
    require_oracle(len(two) >= 2, "two CPython versions are needed")
    old, new = list(two.values())[:2]
    link = tmp_path / "python"
    link.symlink_to(old.path)
    assert _launch(tmp_path, "build", "env", "a", "--python", str(link))[-4] == "0"
    link.unlink()
    link.symlink_to(new.path)
    assert _launch(tmp_path, "build", "env", "b", "--python", str(link))[-4] == "0"
    for name, interp in (("a", old), ("b", new)):
        assert interp.version is not None
        version = "%d.%d" % interp.version[:2]
        assert (tmp_path / name / "lib" / f"python{version}" / "os.py").exists()
        prefix, _, path = _probe(tmp_path / name / "bin" / "python3")
        assert prefix == str(tmp_path / name)
        assert str(tmp_path / name / "lib" / f"python{version}" / "site-packages") in \
            path  # type: ignore[operator]


def test_an_edited_entry_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    key = ["k", 1]
    path = learncache.entry_path("env", key)
    learncache.write(path, {"key": key, "value": "/usr"})
    found = learncache.read(path, key)
    assert found is not None and found["value"] == "/usr"
    assert learncache.read(path, ["other"]) is None
    data = Path(path).read_bytes()
    head = data.index(b"\n") + 1 + 32  # the first line, then the seal
    value = zlib.decompress(data[head:])
    assert b"/usr" in value
    Path(path).write_bytes(data[:head] + zlib.compress(value.replace(b"/usr", b"/opt")))
    assert learncache.read(path, key) is None
    Path(path).write_bytes(data[:-3])  # cut short
    assert learncache.read(path, key) is None
    Path(path).write_bytes(data)
    assert learncache.read(path, key) is not None


def test_validity_rests_on_entries_and_listings_but_not_the_unlisted(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "os.py").write_text("")
    (tmp_path / "work").mkdir()
    seen = {"entries": {str(tmp_path / "lib" / "os.py"):
                        learncache.entry_state(str(tmp_path / "lib" / "os.py"))},
            "children": {str(tmp_path / "lib"): ["os.py"], str(tmp_path / "work"): []}}
    unlisted = (str(tmp_path / "work"),)
    assert learncache.still_valid(seen, unlisted)
    (tmp_path / "work" / "env").mkdir()
    assert learncache.still_valid(seen, unlisted)
    assert not learncache.still_valid(seen)
    (tmp_path / "lib" / "new.py").write_text("")
    assert not learncache.still_valid(seen, unlisted)
    (tmp_path / "lib" / "new.py").unlink()
    os.utime(tmp_path / "lib" / "os.py", ns=(0, 0))
    assert not learncache.still_valid(seen, unlisted)


def test_an_entry_rests_on_the_code_that_learned_it(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit of a prefixlab module the process ran makes the entry stale; files of
    modules it never imported (another command's, being edited in a checkout) do not."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ran = tmp_path / "ran.py"
    ran.write_text("")
    module = type(sys)("prefixlab._learncache_test_module")
    module.__file__ = str(ran)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    key = ["code"]
    path = learncache.entry_path("env", key)
    learncache.write(path, {"key": key})
    (tmp_path / "not-imported.py").write_text("# edited")
    assert learncache.read(path, key) is not None
    ran.write_text("# edited")
    assert learncache.read(path, key) is None


def test_a_hard_link_elsewhere_is_no_change_but_new_bytes_are(tmp_path: Path) -> None:
    """A layout that hard-links the interpreter binary moves its ctime (link count), not
    its bytes: still valid.  Bytes rewritten in place with the size and mtime set back
    are another binary."""
    binary = tmp_path / "python3"
    binary.write_bytes(b"\x7fELF one")
    fs = learncache.recording_snapshot()
    fs.entry(str(binary))
    seen = learncache.record(fs)
    os.link(binary, tmp_path / "elsewhere")
    os.unlink(tmp_path / "elsewhere")
    assert learncache.entry_state(str(binary)) != seen["entries"][str(binary)]  # ctime
    assert learncache.still_valid(seen)
    before = binary.stat()
    binary.write_bytes(b"\x7fELF two")
    os.utime(binary, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert not learncache.still_valid(seen)


def test_a_moved_ctime_is_recorded_once_the_bytes_are_found_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next use does not read the file again (a libpython is tens of megabytes)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    binary = tmp_path / "libpython3.so"
    binary.write_bytes(b"\x7fELF lib")
    fs = learncache.recording_snapshot()
    fs.entry(str(binary))
    key = ["moved"]
    path = learncache.entry_path("env", key)
    learncache.write(path, {"key": key, "seen": learncache.record(fs)})
    os.link(binary, tmp_path / "elsewhere")
    found = learncache.read(path, key)
    assert found is not None
    moved: list[tuple[str, list[object]]] = []
    assert learncache.still_valid(found["seen"], moved=moved)
    assert [p for p, _ in moved] == [str(binary)]
    learncache.refresh(path, found, moved)
    again = learncache.read(path, key)
    assert again is not None and again["code"] == found["code"]
    moved.clear()
    assert learncache.still_valid(again["seen"], moved=moved) and moved == []


def test_the_learned_interpreter_comes_back_from_an_entry_as_it_was() -> None:
    """What the cache keeps of a BaseInterpreter (plain values through marshal) makes the
    same BaseInterpreter again, build constants and all (tuples stay tuples)."""
    import marshal

    from prefixlab.impl.builders import env
    from prefixlab.model.builders.flavours import BaseInterpreter
    from prefixlab.model.world.build import BuildConstants

    build = BuildConstants((3, 12, 1), "/opt/py", "/opt/py", shared=True,
                           library="/opt/py/lib/libpython3.12.so.1.0", abiflags="",
                           builtin_modules=("sys", "posix"),
                           frozen_modules=(("zipimport", "zipimport", False),),
                           extension_suffixes=(".cpython-312-x86_64-linux-gnu.so", ".so"))
    interpreter = BaseInterpreter("/opt/py/bin/python3.12", build, "/opt/py", "/opt/py",
                                  "python3.12")
    stored = marshal.loads(marshal.dumps(env.interpreter_json(interpreter)))
    assert env._interpreter_from(stored) == interpreter
