"""``prefixlab unwrap`` and ``prefixlab fuzz-unwrap``.

The known-bad unwrappers are the ones nixpkgs' history shows: the reverted rule (nixpkgs
#297628's ``sed -e 1d -e 3d``, reverted by #302385 for deleting pretalx's ``import os``),
deleting the preamble by pattern, and stripping trailing whitespace.  Each must be caught
within the default budget; prefixlab's own unwrapper must pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from prefixlab.model.scripts.nixwrap import NixWrap, wrap_python_programs

PREFIXLAB = str(Path(sys.executable).with_name("prefixlab"))
LINE_THREE = 'echo "#!"{python}; sed -e 1d -e 3d {script}'
BY_PATTERN = "echo \"#!\"{python}; sed -e 1d -e '/^import sys;import site/d' {script}"
STRIPPING = ("echo \"#!\"{python}; sed -e 1d -e '/^import sys;import site/d' "
             "-e 's/[[:space:]]*$//' {script}")
# A right unwrapper that is quick to start: the model itself (prefixlab unwrap's core).
QUICK = (f"{sys.executable} -c 'import sys; from prefixlab.model.scripts.wrap import unwrap; "
         "sys.stdout.buffer.write(unwrap(open(sys.argv[1], \"rb\").read(), "
         "sys.argv[2].encode()).text)' {script} {python}")


def prefixlab(*args: str, cache: Path, cwd: Path | None = None
              ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run([PREFIXLAB, *args], capture_output=True, text=True, timeout=300,
                          env=env, cwd=cwd)


# -- unwrap -------------------------------------------------------------------------------------
def test_unwrap_prints_the_original(tmp_path: Path) -> None:
    """pretalx's manage.py shape, the case the line-3 rule broke (#302315)."""
    original = b"#!/usr/bin/env python3 -u\nimport os\nimport sys\nos.getcwd()\n"
    wrapped = wrap_python_programs(original, NixWrap())
    assert wrapped is not None
    (tmp_path / ".manage-wrapped").write_bytes(wrapped.text)
    done = subprocess.run([PREFIXLAB, "unwrap", str(tmp_path / ".manage-wrapped"),
                           "--python", "/env/bin/python3"], capture_output=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"#!/env/bin/python3 -u\nimport os\nimport sys\nos.getcwd()\n"


@pytest.mark.parametrize(("content", "message"), [
    (b"#!/usr/bin/python3\nimport os\n", "not a wrapped script"),
    (None, "cannot read"),
    # wrapped twice (prefixlab's F-b3): .foo-wrapped is itself a shell wrapper
    (b"#! /nix/store/x-bash-5.2/bin/bash -e\nexport PYTHONNOUSERSITE='true'\n"
     b"exec -a \"$0\" \"/nix/store/y-foo/bin/.foo-wrapped_\"  \"$@\"\n", "not a wrapped script"),
    (b"\x7fELF\x02\x01\x01\x00", "not a #! line"),
])
def test_unwrap_refuses_with_one_line(tmp_path: Path, content: bytes | None, message: str
                                      ) -> None:
    script = tmp_path / "foo"
    if content is not None:
        script.write_bytes(content)
    done = prefixlab("unwrap", str(script), "--python", "/p", cache=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert done.stderr.startswith(f"prefixlab unwrap: {script}: ")


def test_unwrap_explain_names_the_rules(tmp_path: Path) -> None:
    wrapped = wrap_python_programs(b"#!/usr/bin/python3\nimport os\n", NixWrap())
    assert wrapped is not None
    (tmp_path / ".foo-wrapped").write_bytes(wrapped.text)
    done = prefixlab("unwrap", str(tmp_path / ".foo-wrapped"), "--python", "/p", "--explain",
                     cache=tmp_path)
    assert done.returncode == 0 and done.stdout == "#!/p\nimport os\n"
    assert "rule script.nixpkgs-preamble" in done.stderr and "line 2" in done.stderr
    assert "rule script.interpreter" in done.stderr


def test_unwrap_json_holds_the_script_and_the_rules(tmp_path: Path) -> None:
    """pretalx's manage.py shape again (#302315), a byte that is not UTF-8 in it."""
    import json

    original = b"#!/usr/bin/env python3 -u\nimport os\nos.getcwd()  # \xff\n"
    wrapped = wrap_python_programs(original, NixWrap())
    assert wrapped is not None
    (tmp_path / ".manage-wrapped").write_bytes(wrapped.text)
    done = prefixlab("unwrap", str(tmp_path / ".manage-wrapped"), "--python", "/env/bin/py",
                     "--json", cache=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["schema"] == 1 and data["python"] == "/env/bin/py"
    assert data["script"] == str(tmp_path / ".manage-wrapped")
    expected = b"#!/env/bin/py -u\nimport os\nos.getcwd()  # \xff\n"
    assert data["text"].encode("utf-8", "surrogateescape") == expected
    assert {"script.nixpkgs-preamble", "script.interpreter"} <= {s["rule"] for s in data["steps"]}


# -- fuzz-unwrap --------------------------------------------------------------------------------
def test_finds_the_reverted_line_three_rule_reproducibly(tmp_path: Path) -> None:
    args = ("fuzz-unwrap", "--cmd", LINE_THREE, "--seed", "4", "--budget", "300")
    first = prefixlab(*args, cache=tmp_path)
    assert first.returncode == 1, first.stderr
    for part in ("The script (shrunk):", "Wrapped by wrapPythonPrograms", "COMMAND printed:",
                 "--- expected", "+++ got", "Reproduce with:"):
        assert part in first.stdout
    again = prefixlab(*args, cache=tmp_path)
    assert again.stdout == first.stdout


def test_the_reproducer_reproduces(tmp_path: Path) -> None:
    done = prefixlab("fuzz-unwrap", "--cmd", LINE_THREE, "--seed", "7", cache=tmp_path)
    snippet = done.stdout.split("Reproduce with:\n", 1)[1]
    replay = subprocess.run(["/bin/sh", "-c", snippet], capture_output=True, text=True,
                            cwd=tmp_path)
    assert "differ" in replay.stdout and "same" not in replay.stdout.split()


@pytest.mark.parametrize("command", [BY_PATTERN, STRIPPING], ids=["by-pattern", "stripping"])
def test_finds_the_other_known_bad_unwrappers(tmp_path: Path, command: str) -> None:
    done = prefixlab("fuzz-unwrap", "--cmd", command, cache=tmp_path, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Finding after" in done.stdout
    # The example database lives in prefixlab's cache directory, not in the cwd.
    assert list((tmp_path / "prefixlab" / "fuzz-unwrap").iterdir())
    assert not (tmp_path / ".hypothesis").exists()


def test_prefixlab_unwrap_passes(tmp_path: Path) -> None:
    command = f"{PREFIXLAB} unwrap {{script}} --python {{python}}"
    done = prefixlab("fuzz-unwrap", "--cmd", command, "--max-examples", "4", "--seed", "1",
                     cache=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("No finding")


def test_the_model_passes_many_scripts(tmp_path: Path) -> None:
    done = prefixlab("fuzz-unwrap", "--cmd", QUICK, "--max-examples", "25", "--seed", "2",
                     cache=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_fuzz_unwrap_json_reports_the_finding_and_no_finding(tmp_path: Path) -> None:
    import json

    found = prefixlab("fuzz-unwrap", "--cmd", LINE_THREE, "--seed", "7", "--json",
                      cache=tmp_path)
    assert found.returncode == 1, found.stderr
    data = json.loads(found.stdout)
    assert data["schema"] == 1 and data["command"] == LINE_THREE and data["scripts"] >= 1
    finding = data["finding"]
    # the reverted rule deletes line 3 of the wrapped file: what it printed lacks a line
    expected = finding["expected"].encode("utf-8", "surrogateescape")
    printed = finding["stdout"].encode("utf-8", "surrogateescape")
    assert printed != expected and finding["status"] == 0
    assert finding["problem"] and "Reproduce" not in finding["reproducer"]
    replay = subprocess.run(["/bin/sh", "-c", finding["reproducer"]], capture_output=True,
                            text=True, cwd=tmp_path)
    assert "differ" in replay.stdout
    clean = prefixlab("fuzz-unwrap", "--cmd", QUICK, "--max-examples", "5", "--seed", "2",
                      "--json", cache=tmp_path)
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout) == {"schema": 1, "command": QUICK, "scripts": 5,
                                        "finding": None}


def test_a_hang_on_a_generated_case_is_a_finding(tmp_path: Path) -> None:
    command = f"grep -q __future__ {{script}} && sleep 30; {QUICK}"
    done = prefixlab("fuzz-unwrap", "--cmd", command, "--timeout", "1", "--seed", "3",
                     "--budget", "15", cache=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "did not finish within 1 s" in done.stdout and "__future__" in done.stdout


@pytest.mark.parametrize("command", ["false", "sleep 30", "no-such-unwrapper {script}"])
def test_a_command_that_cannot_run_is_bad_input(tmp_path: Path, command: str) -> None:
    done = prefixlab("fuzz-unwrap", "--cmd", command, "--timeout", "1", cache=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("prefixlab fuzz-unwrap: --cmd: the command fails")


# -- no process outlives its case -----------------------------------------------------------------
def _sleepers(token: str) -> list[int]:
    """Live processes whose command line is `sleep TOKEN` (zombies have none)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes() == (
                    f"sleep\0{token}\0".encode()):
                found.append(int(entry.name))
        except OSError:
            pass
    return found


@pytest.mark.parametrize("detach", [
    "sleep {t} &",  # a plain background job: same session, same process group
    "setsid sleep {t} > /dev/null 2>&1 &",  # its own session and process group
    "(setsid -f sleep {t} > /dev/null 2>&1 &);",  # setsid forks: reparented at once
], ids=["background", "setsid", "double-fork"])
def test_no_child_outlives_its_case(tmp_path: Path, detach: str) -> None:
    token = f"1000.{os.getpid()}{len(detach)}"  # GNU sleep takes a fraction: a unique name
    command = f"{detach.format(t=token)} {QUICK}"
    try:
        done = prefixlab("fuzz-unwrap", "--cmd", command, "--max-examples", "3", "--seed",
                         "1", cache=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert _sleepers(token) == []
    finally:
        for pid in _sleepers(token):
            os.kill(pid, 9)


def test_a_timeout_is_reported_as_given(tmp_path: Path) -> None:
    done = prefixlab("fuzz-unwrap", "--cmd", "sleep 30", "--timeout", "0.1", cache=tmp_path)
    assert done.returncode == 2
    assert "it did not finish within 0.1 s" in done.stderr, done.stderr
