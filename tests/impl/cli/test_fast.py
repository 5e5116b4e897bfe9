"""The click-free start of predict and explain (impl/cli/fast.py): it takes only their plain
spellings, prints exactly what the click commands print, and loads only what the answer
needs (no click, no rich in a pipe, nothing that only learning, discovery or a probe needs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import in_scope_interpreters, require_oracle

from prefixlab.impl.cli.fast import parse

LAUNCH = ("import sys\nsys.argv[0] = 'prefixlab'\nfrom prefixlab.impl.cli import launch\n"
          "launch.main()\n")
CLICK = ("import sys\nsys.argv[0] = 'prefixlab'\nfrom prefixlab.impl.cli import main\n"
         "main.main()\n")


@pytest.mark.parametrize(("args", "expected"), [
    (["predict", "/p"], ("predict", frozenset(), "/p", [])),
    (["predict", "--json", "--no-cache", "p", "-c", "--json"],
     ("predict", frozenset({"--json", "--no-cache"}), "p", ["-c", "--json"])),
    (["explain", "--graph", "--json", "--graph", "/p", "-S"],
     ("explain", frozenset({"--graph", "--json"}), "/p", ["-S"])),
])
def test_plain_spellings_are_taken(args: list[str],
                                   expected: tuple[str, frozenset[str], str, list[str]]) -> None:
    assert parse(args) == expected


@pytest.mark.parametrize("args", [
    [], ["probe", "/p"], ["-q", "predict", "/p"], ["predict"], ["predict", "--json"],
    ["predict", "-h"], ["predict", "--help", "/p"], ["predict", "--", "/p"],
    ["predict", "--graph", "/p"], ["predict", "--no-learn", "/p"], ["predict", ""],
    ["predict", "--cwd", "/", "/p"], ["predict", "--json=1", "/p"], ["predict", "-", "-c"],
    ["explain", "--compare", "/p"], ["explain"], ["explain", "--env", "A=1", "/p"],
])
def test_other_spellings_go_to_click(args: list[str]) -> None:
    assert parse(args) is None


def _run(code: str, args: list[str], env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[bytes]:
    environ = {**os.environ, "PREFIXLAB_COMPILED": "0", **(env or {})}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          env=environ, timeout=120, cwd="/")


@pytest.mark.real
@pytest.mark.parametrize("args", [
    ["predict", "{python}", "-c", "pass"],
    ["explain", "--graph", "{python}", "-S"],
    ["explain", "--json", "{python}"],
    ["predict", "/nonexistent/python3"],
    ["predict", "{python}", "-c", "\x1b[31m"],
])
def test_the_output_is_the_click_commands(args: list[str]) -> None:
    found = in_scope_interpreters()
    require_oracle(bool(found), "no CPython 3.8+ interpreter here")
    args = [a.format(python=found[-1].path) for a in args]
    fast, slow = _run(LAUNCH, args), _run(CLICK, args)
    assert (fast.returncode, fast.stdout, fast.stderr) == \
        (slow.returncode, slow.stdout, slow.stderr)
    assert fast.returncode == 0 and fast.stdout


WATCHED = ("click", "rich", "networkx", "hypothesis", "platformdirs", "ctypes", "hashlib",
           "subprocess", "tempfile", "glob", "shutil", "pathlib",
           # the model's values are made by model/speedups.py's dataclass
           "dataclasses", "inspect",
           # the readers of wrappers and shims: a plain interpreter's exec chain needs none
           "prefixlab.model.exec.makewrapper", "prefixlab.model.exec.pyenv",
           "prefixlab.model.exec.bashwords", "prefixlab.model.exec.binarywrapper")


DIGESTING = {"hashlib", "tempfile", "shutil", "random"}
"""What digesting a binary and writing its identity needs: when the binary's ctime moved since
it was cached (a hard link made or removed elsewhere), a warm answer digests it again, to
compare its bytes (identity._file_digest, whether through identify or own_digest)."""


@pytest.mark.real
@pytest.mark.parametrize("command", ["predict", "explain"])
def test_a_warm_answer_loads_only_what_it_needs(command: str) -> None:
    found = in_scope_interpreters()
    require_oracle(bool(found), "no CPython 3.8+ interpreter here")
    python = found[-1].path
    code = ("import json, os, sys\nsys.stdout = open(os.devnull, 'w', encoding='utf-8')\n"
            "from prefixlab.impl.host import identity\n"
            "digested = []\noriginal = identity._file_digest\n"
            "identity._file_digest = lambda path: digested.append(path) or original(path)\n"
            "from prefixlab.impl.cli.fast import fast_main\n"
            f"status = fast_main([{command!r}, {python!r}, '-c', 'pass'])\n"
            f"loaded = sorted(m for m in sys.modules if m in {WATCHED!r}\n"
            f"                or m.split('.')[0] in {WATCHED!r})\n"
            "sys.__stdout__.write(json.dumps([status, loaded, bool(digested)]))\n")
    done = _run(code, [])  # the constants are cached by discovery (in_scope_interpreters)
    assert done.returncode == 0, done.stderr
    status, loaded, digested = json.loads(done.stdout)
    assert status == 0
    assert [m for m in loaded if not (digested and m in DIGESTING)] == []
