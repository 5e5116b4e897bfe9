"""``prefixlab example NOTE#N --at DIR``: every example of the notes is laid down, its printed
command runs, and with --python it agrees with the note on an interpreter of its versions;
bad input is one line and exit 2, and a DIR is never left half-written."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from prefixlab.impl.builders import cwrapper
from prefixlab.impl.checks import notes as real_notes
from prefixlab.impl.cli import main as cli
from prefixlab.impl.cli.errors import DEBUG_ENV
from prefixlab.model import notes

from conftest import in_scope_interpreters, require_oracle
from support.example_blocks import FLAGS

EXAMPLES = real_notes.examples()


def _newest_matching(example: notes.Example) -> str | None:
    found = [i for i in in_scope_interpreters()
             if i.constants is not None and example.applies_to_build(i.constants)]
    return max(found, key=lambda i: i.version or (0, 0, 0)).path if found else None


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.main, ["example", *args], env={DEBUG_ENV: ""})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.real
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_every_example_is_laid_down(example: notes.Example, tmp_path: Path) -> None:
    """With an interpreter of its versions: run and compared (exit 0); without one here
    (3.14, 3.11.0): laid down for another interpreter, not run (exit 0)."""
    if real_notes.needs_compiler(example):
        require_oracle(cwrapper.compiler() is not None, "the example builds a nixpkgs "
                       "flavour, whose wrappers need a C compiler (cc or gcc on PATH)")
    python = _newest_matching(example)
    target = tmp_path / "ex"
    code, out, err = invoke(f"{example.note}#{example.index}", "--at", str(target),
                            *(["--python", python] if python else []))
    assert code == 0, out + err
    assert "{ROOT}" not in out and "{X.Y}" not in out
    assert sorted(os.listdir(tmp_path)) == ["ex"]  # no staging directory left beside it
    if python:
        assert "agrees with the note" in out
    else:
        assert "is not among the example's versions" in out
    if example.exercise:
        assert "Expected" not in out
    command = next(line.strip() for line in out.splitlines()[1:] if line.startswith("  cd "))
    done = subprocess.run(["bash", "-c", command], capture_output=True, timeout=120)
    explain = next(line.strip() for line in out.splitlines() if line.startswith("  prefixlab"))
    compared = CliRunner().invoke(cli.main, shlex.split(explain)[1:], env={DEBUG_ENV: ""})
    assert compared.exit_code == 0, compared.stdout[-2000:] + compared.stderr
    expect = example.bind(root="/r", version=(3, 12, 0), prefix="/usr/local")["expect"]
    starts = expect.get("status", "ok") == "ok"
    assert done.returncode == 0 or not python or not starts, done.stderr


def test_a_non_empty_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "mine").write_text("keep me")
    code, out, err = invoke("01#0", "--at", str(tmp_path / "ex"))
    assert code == 2 and out == ""
    assert err.splitlines() == [f"prefixlab example: {tmp_path}/ex: exists and is not an "
                                "empty directory"]
    assert os.listdir(tmp_path / "ex") == ["mine"]


@pytest.mark.parametrize(("ref", "said"), [
    ("03", "name an example as NOTE#N"),
    ("03#99", "notes/03-venvs.md: has "),
    ("nowhere#0", "no note is named 'nowhere'"),
])
def test_a_bad_name_is_one_line(ref: str, said: str, tmp_path: Path) -> None:
    code, out, err = invoke(ref, "--at", str(tmp_path / "ex"))
    assert code == 2 and len(err.splitlines()) == 1 and said in err, err
    assert not (tmp_path / "ex").exists()


BROKEN_BUILD = '''# A note

```prefixlab-example
versions = "3.8+"
[layout]
"opt/py/bin/python{X.Y}" = "binary"
"opt/py/lib/python{X.Y}" = "stdlib"
[[build]]
builder = "venv"
python = "{ROOT}/nothing/python{X.Y}"
dir = "{ROOT}/venv"
[run]
program = "{ROOT}/opt/py/bin/python{X.Y}"
args = ["-S", "-c", "pass"]
[expect]
prefix = "{ROOT}/opt/py"
```
'''


@pytest.mark.real
def test_a_failed_build_step_leaves_nothing(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "notes"
    here.mkdir()
    (here / "01-broken.md").write_text(BROKEN_BUILD)
    monkeypatch.setattr(real_notes, "NOTES", here)
    work = tmp_path / "work"
    work.mkdir()
    code, out, err = invoke("01#0", "--at", str(work / "ex"))
    assert code == 2 and len(err.splitlines()) == 1, out + err
    assert "nothing/python" in err
    assert os.listdir(work) == []


@pytest.mark.parametrize("bad", [
    ('versions = "3.8+"\n[layout]\n"a" = "nonsense"\n[run]\nprogram = "x"\n[expect]\n',
     "layout 'a' = 'nonsense'"),
    ('versions = "3.8+"\n[layout]\n[run]\nprogram = "x"\n[expect]\ncolour = "red"\n',
     "unknown key 'colour'"),
    ('versions = "3.8 and up"\n[layout]\n[run]\nprogram = "x"\n[expect]\n',
     "'3.8 and up' is not a version"),
    ('versions = "3.8+"\n[layout]\n[run]\nprogram = "x"\n[expect]\nprefix =\n', "not TOML"),
    ('versions = "3.8+"\n[layout]\n[expect]\n[run]\nprogram = "x"\n', "last table"),
])
def test_a_bad_block_names_its_note_and_number(bad: tuple[str, str]) -> None:
    text, said = bad
    with pytest.raises(notes.ExampleError) as raised:
        notes.read_note("09-x.md", f"intro\n\n```prefixlab-example\n{text}```\n")
    message = str(raised.value)
    assert message.startswith("notes/09-x.md#0 (line 3): ") and said in message, message
    assert "\n" not in message


ARGV0_WITHOUT_USR_BIN = '''# A note

```prefixlab-example
versions = "3.8+"
[layout]
"opt/py/bin/python{X.Y}" = "binary"
"opt/py/lib/python{X.Y}" = "stdlib"
"pub/python3" = "-> ../opt/py/bin/python{X.Y}"
[run]
program = "{ROOT}/opt/py/bin/python{X.Y}"
argv0 = "{ROOT}/pub/python3"
args = ["-S", "-c", "pass"]
env = { PATH = "{ROOT}/nowhere" }
[expect]
prefix = "{ROOT}/opt/py"
```
'''


@pytest.mark.real
def test_an_argv0_command_runs_without_usr_bin_on_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The printed command starts bash by its absolute path: env looks a bare name up on the
    example's own PATH, which need not hold bash."""
    here = tmp_path / "notes"
    here.mkdir()
    (here / "01-argv0.md").write_text(ARGV0_WITHOUT_USR_BIN)
    monkeypatch.setattr(real_notes, "NOTES", here)
    code, out, err = invoke("01#0", "--at", str(tmp_path / "ex"))
    assert code == 0, out + err
    commands = [line.strip() for line in out.splitlines() if line.startswith("  cd ")]
    assert len(commands) == 2 and all("exec -a" in c for c in commands), out
    for command in commands:
        done = subprocess.run(["bash", "-c", command], capture_output=True, timeout=120)
        assert done.returncode == 0, (command, done.stderr)
    assert f"{tmp_path}/ex/opt/py" in subprocess.run(
        ["bash", "-c", commands[1]], capture_output=True, text=True, timeout=120).stdout


EXCLUDES_DEBIAN = '''# A note

```prefixlab-example
versions = "3.11"
exclude = ["debian"]
[layout]
"opt/py/bin/python{X.Y}" = "binary"
"opt/py/lib/python{X.Y}" = "stdlib"
[run]
program = "{ROOT}/opt/py/bin/python{X.Y}"
args = ["-S", "-c", "pass"]
[expect]
prefix = "{ROOT}/opt/py"
```
'''


@pytest.mark.real
def test_an_excluded_build_is_not_chosen_and_is_named_when_asked_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    debian = [i for i in in_scope_interpreters()
              if i.constants is not None and i.constants.flavour == "debian"
              and i.version is not None and i.version[:2] == (3, 11)]
    require_oracle(bool(debian), "no Debian build of 3.11 here")
    here = tmp_path / "notes"
    here.mkdir()
    (here / "01-debian.md").write_text(EXCLUDES_DEBIAN)
    monkeypatch.setattr(real_notes, "NOTES", here)
    code, out, err = invoke("01#0", "--at", str(tmp_path / "ex"))
    assert code == 0, out + err
    assert debian[0].path not in out.splitlines()[0], out
    code, out, err = invoke("01#0", "--at", str(tmp_path / "ex2"), "--python", debian[0].path)
    assert "the example leaves out debian's build (exclude)" in out, out + err


INSIDE_A_STDLIB = '''# A note

```prefixlab-example
versions = "3.8+"
[layout]
"opt/py/bin/python{X.Y}" = "binary"
"opt/py/lib/python{X.Y}" = "stdlib"
"opt/py/lib/python{X.Y}/site-packages/extra.pth" = "text:{ROOT}/added\\n"
"opt/py/lib/python{X.Y}/mine/deeper.txt" = "text:x\\n"
"added" = "dir"
[run]
program = "{ROOT}/opt/py/bin/python{X.Y}"
args = ["-s", "-c", "pass"]
[expect]
prefix = "{ROOT}/opt/py"
path0 = ""
'''


@pytest.mark.real
def test_a_file_inside_a_linked_stdlib_is_written_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A layout key below a "stdlib" entry is written: the directories on its way are real
    directories holding links to the real standard library's entries, never the real ones;
    the model and the interpreter see the same .pth file."""
    example = INSIDE_A_STDLIB + '```\n'
    here = tmp_path / "notes"
    here.mkdir()
    (here / "01-inside.md").write_text(example)
    monkeypatch.setattr(real_notes, "NOTES", here)
    interp = max((i for i in in_scope_interpreters() if i.constants is not None
                  and i.constants.flavour == "upstream"), key=lambda i: i.version or (0, 0, 0))
    assert interp.constants is not None
    real_stdlib = f"{interp.constants.prefix}/{interp.constants.stdlib_subdir}"
    target = tmp_path / "ex"
    code, out, err = invoke("01#0", "--at", str(target), "--python", interp.path)
    assert code == 0, out + err
    farm = target / "opt" / "py" / "lib" / real_stdlib.rpartition("/")[2]
    site = farm / "site-packages"
    assert site.is_dir() and not site.is_symlink()
    assert (site / "extra.pth").read_text() == f"{target}/added\n"
    assert not os.path.lexists(f"{real_stdlib}/site-packages/extra.pth")
    assert not os.path.lexists(f"{real_stdlib}/mine")
    assert sorted(os.listdir(site)) == sorted({*os.listdir(f"{real_stdlib}/site-packages"),
                                               "extra.pth"})
    assert all((site / n).is_symlink() for n in os.listdir(site) if n != "extra.pth")
    assert (farm / "os.py").is_symlink() and (farm / "mine" / "deeper.txt").is_file()
    assert "agrees with the note" in out, out
    python = target / "opt" / "py" / "bin" / interp.real_path.rpartition("/")[2]
    done = subprocess.run([str(python), "-s", "-c", "import sys; print(sys.path)"],
                          capture_output=True, text=True, env={}, timeout=120)
    assert f"{target}/added" in done.stdout, done.stdout + done.stderr


def test_a_file_inside_a_stdlib_reaches_the_model() -> None:
    """On the model: the .pth file below the stdlib entry adds its directory to sys.path."""
    path = ('path = ["", "{ROOT}/opt/py/lib/python{XY}.zip", "{ROOT}/opt/py/lib/python{X.Y}", '
            '"{ROOT}/opt/py/lib/python{X.Y}/lib-dynload", '
            '"{ROOT}/opt/py/lib/python{X.Y}/site-packages", "{ROOT}/added"]\n')
    block = INSIDE_A_STDLIB.replace("[expect]\n", "[expect]\n" + path) + "```\n"
    case = notes.read_note("01-inside.md", block)[0]
    assert notes.check_on_model(case, (3, 12, 0)) == []




@pytest.mark.real
def test_flags_are_read_from_the_real_interpreter() -> None:
    """[expect] flags on every interpreter here the examples apply to: sys.flags as the
    interpreter reports it (a wrapper's -S and PYTHONNOUSERSITE count), and the model's
    prediction for the same files."""
    checked = 0
    for example in notes.read_note("09-x.md", FLAGS):
        for interp in in_scope_interpreters():
            if interp.constants is None or not example.applies_to_build(interp.constants):
                continue
            got = real_notes.check_real(example, interp)
            assert got.real == [] and got.model == [], (example.name, interp.path, got)
            checked += 1
    require_oracle(checked > 0, "no interpreter here for the flags examples")
    wrong = notes.read_note("09-x.md", FLAGS.replace("no_site = 1 }", "no_site = 0 }"))[1]
    interp = next(i for i in in_scope_interpreters() if i.constants is not None)
    got = real_notes.check_real(wrong, interp)
    assert got.real == got.model and len(got.real) == 1 and "no_site" in got.real[0], got


@pytest.mark.real
@pytest.mark.parametrize("flags", [
    ("--inherit-argv0", "--resolve-argv0", "--set", "PYTHONNOUSERSITE", "true"),
    ("--argv0", "/a b/it's", "--set", "K", "v\nw", "--prefix", "PATH", ":", "/x"),
])
def test_the_model_reads_a_wrapper_as_the_compiled_one(flags: tuple[str, ...]) -> None:
    """What the model lays down for a wrapper of a nixpkgs flavour reads as the wrapper the
    real side compiles (nixpkgs' record, and the code that resolves argv[0])."""
    from prefixlab.impl.builders import nix
    from prefixlab.model.builders.plan import CWrapper
    from prefixlab.model.exec import binarywrapper

    require_oracle(cwrapper.compiler() is not None, "no C compiler (cc or gcc) on PATH")
    op = CWrapper("bin/w", "/store/bin/python3.12", flags)
    with open(nix.compiled(op), "rb") as handle:
        real = binarywrapper.read_binary(handle.read())
    assert real is not None and binarywrapper.read_binary(notes.wrapper_binary(op)) == real


@pytest.mark.real
def test_json_says_what_was_laid_down_and_whether_it_agrees(tmp_path: Path) -> None:
    """--json: the note's expected values (hidden for an exercise), the commands, and the
    comparison with a real interpreter of the example's versions."""
    import json

    shown = next(e for e in EXAMPLES if not e.exercise and _newest_matching(e)
                 and not real_notes.needs_compiler(e))
    hidden = next(e for e in EXAMPLES if e.exercise and _newest_matching(e)
                  and not real_notes.needs_compiler(e))
    for example, where in ((shown, "a"), (hidden, "b")):
        python = _newest_matching(example)
        assert python is not None
        code, out, err = invoke(f"{example.note}#{example.index}", "--at",
                                str(tmp_path / where), "--python", python, "--json")
        assert code == 0, out + err
        data = json.loads(out)
        assert data["schema"] == 1 and data["example"] == f"{example.note}#{example.index}"
        assert (data["at"], data["python"]) == (str(tmp_path / where), python)
        assert (data["ran"], data["agrees"], data["differences"]) == (True, True, [])
        assert data["commands"]["run"].startswith("cd ")
        assert (data["expected"] is None) == example.exercise
        if not example.exercise:
            assert set(data["expected"]) == set(example.bind(
                root="/r", version=(3, 12, 0), prefix="/usr/local")["expect"])
