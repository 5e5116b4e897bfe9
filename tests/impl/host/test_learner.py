"""impl/host/learner.py: the learner run and the digest started early are what
learn_constants would have computed itself, taken only for the same unchanged binary, and
the module's written-out paths and keys are interpreters' and identity's."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import in_scope_interpreters, require_oracle

from prefixlab.impl.host import identity, interpreters, learner
from prefixlab.impl.host.interpreters import Interpreter

INTERPRETERS = in_scope_interpreters()


@pytest.fixture(name="scratch")
def _scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    yield tmp_path
    learner._discard()


def _pyenv() -> Interpreter:
    found = [i for i in reversed(INTERPRETERS) if i.source == "pyenv" and i.constants]
    require_oracle(bool(found), "a pyenv interpreter")
    return found[0]


def test_the_identity_file_is_interpreters(scratch: Path) -> None:
    for path in ("/usr/bin/python3", str(scratch / "bin" / "python3.12"), "/a/\udcff/python"):
        assert learner.identity_file(path) == interpreters._identity_file(path)


def test_the_wrapper_record_is_binarywrappers() -> None:
    from prefixlab.model.exec import binarywrapper

    assert learner.WRAPPER_RECORD == binarywrapper.RECORD_START.encode()


def test_the_stat_key_is_identitys(scratch: Path) -> None:
    (scratch / "f").write_bytes(b"x")
    for path in (str(scratch / "f"), str(scratch / "missing")):
        assert learner._stat_key(path) == identity.stat_key(path)


@pytest.mark.real
def test_what_was_started_is_what_learning_finds(scratch: Path) -> None:
    interp = _pyenv()
    binary = scratch / "bin" / "python3"
    binary.parent.mkdir()
    shutil.copy2(interp.real_path, binary)  # a path no cache knows
    learner.start(str(binary))
    assert str(binary) in learner._runs and str(binary) in learner._digests
    taken = interpreters.learn_constants(str(binary))
    assert str(binary) not in learner._runs and str(binary) not in learner._digests
    again = interpreters.learn_constants(str(binary), use_cache=False)
    assert taken == again
    learner.start(str(binary))  # learned now: nothing is started
    assert str(binary) not in learner._runs


@pytest.mark.real
def test_a_binary_changed_after_the_start_is_not_taken(scratch: Path) -> None:
    interp = _pyenv()
    binary = scratch / "bin" / "python3"
    binary.parent.mkdir()
    shutil.copy2(interp.real_path, binary)
    learner.start(str(binary))
    learner._digests[str(binary)][0].join()  # digested before the change
    key = identity.stat_key(str(binary))
    assert key is not None
    os.utime(binary, ns=(key[3] + 10**9, key[3] + 10**9))
    now = identity.stat_key(str(binary))
    assert now is not None
    assert learner.take_identity(str(binary), now) is None
    assert learner.take_run(str(binary), 30.0) is None


@pytest.mark.real
def test_scripts_and_binaries_beside_a_pyvenv_cfg_are_not_started(scratch: Path) -> None:
    interp = _pyenv()
    script = scratch / "python3"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    learner.start(str(script))
    venv = scratch / "venv" / "bin"
    venv.mkdir(parents=True)
    shutil.copy2(interp.real_path, venv / "python3")
    (scratch / "venv" / "pyvenv.cfg").write_text("home = /nowhere\n")
    learner.start(str(venv / "python3"))
    assert learner._runs == {} and learner._digests == {}


@pytest.mark.real
def test_a_hard_link_made_elsewhere_is_the_same_binary(scratch: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A hard link to the binary changes its ctime, not its bytes: its identity and
    constants stay cached (its own bytes are compared; nothing is run, libpython is not
    digested again).  The same binary rewritten in place with its mtime set back is not."""
    interp = _pyenv()
    binary = scratch / "bin" / "python3"
    binary.parent.mkdir()
    shutil.copy2(interp.real_path, binary)
    learned = interpreters.learn_constants(str(binary))
    os.link(binary, scratch / "elsewhere")

    def refused(*args: object, **kwargs: object) -> object:
        raise AssertionError("run or digested again")

    with monkeypatch.context() as patch:
        patch.setattr(interpreters, "_run", refused)
        patch.setattr(interpreters, "identify", refused)
        assert interpreters.learn_constants(str(binary)) == learned
    before = os.stat(binary)
    data = bytearray(binary.read_bytes())
    data[-1] ^= 1  # other bytes, same size, mtime set back
    binary.write_bytes(bytes(data))
    os.utime(binary, ns=(before.st_atime_ns, before.st_mtime_ns))
    digested: list[str] = []
    original = interpreters.identify

    def counted(path: str) -> identity.Identity:
        digested.append(path)
        return original(path)

    monkeypatch.setattr(interpreters, "identify", counted)
    interpreters.learn_constants(str(binary))
    assert digested == [str(binary)]


def _script(scratch: Path, body: str) -> str:
    path = scratch / "learner-run"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def test_a_run_reads_both_pipes_to_their_end(scratch: Path) -> None:
    """More than a pipe holds on both stdout and stderr, stdin at its end at once: the run
    is read as it writes and taken whole."""
    path = _script(scratch, "cat\nhead -c 200000 /dev/zero | tr '\\0' a\n"
                            "head -c 300000 /dev/zero | tr '\\0' b >&2\n")
    learner._start_run(path)
    assert learner.take_run(path, 30.0) == ("a" * 200000, "b" * 300000)


def test_a_run_has_its_own_session_and_an_empty_environment(scratch: Path) -> None:
    path = _script(scratch, "read -r pid comm state ppid pgrp session rest < /proc/$$/stat\n"
                            "echo $$ $session\nexport -p\n")
    if not os.path.exists("/proc/self/stat"):
        pytest.skip("no /proc here: a process's session cannot be read")
    learner._start_run(path)
    taken = learner.take_run(path, 30.0)
    assert taken is not None
    first, *exported = taken[0].splitlines()
    pid, session = first.split()
    assert pid == session  # the leader of its own session, killed with it
    # what /bin/sh sets itself at most; nothing of this process's environment
    assert not [line for line in exported if os.environ.get(line.split()[-1].split("=")[0])
                and "PWD" not in line and "OLDPWD" not in line]


def test_a_run_that_does_not_end_is_killed_with_its_session(scratch: Path) -> None:
    path = _script(scratch, "sleep 30 &\necho $!\nsleep 30\n")
    learner._start_run(path)
    run = learner._runs[path][0]
    assert learner.take_run(path, 0.3) is None
    with pytest.raises(ChildProcessError):  # reaped
        os.waitpid(run.pid, os.WNOHANG)
    # its whole session, the child in the background too (gone once its new parent reaps
    # the zombie the kill left)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(run.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError("a process of the run's session outlived the kill")
