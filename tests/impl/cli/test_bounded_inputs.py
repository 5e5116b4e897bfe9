"""Inputs that must neither block prefixlab nor make it grow without bound: FIFOs, sockets and
devices where a file is read, very deep directories, large and unbounded files.

The CLI runs as users run it, in a child process with a CPU-time and address-space limit and
a wall-clock timeout (its whole process group is killed then), so that a regression fails in
seconds instead of hanging or exhausting the machine.  Expected answers come from the real
interpreter (run beside it, with a timeout) or from documented facts (README's failure kinds;
a file above prefixlab's 64 MiB read limit is not modelled).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import in_scope_interpreters, require_oracle

from prefixlab.impl.host.interpreters import Interpreter

PREFIXLAB = str(Path(sys.executable).with_name("prefixlab"))
ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
MiB = 1 << 20


def newest() -> Interpreter:
    found = [i for i in in_scope_interpreters() if i.version and i.version[:2] >= (3, 11)]
    require_oracle(bool(found), "no CPython 3.11+ interpreter here")
    return found[-1]


def _limits(cpu_seconds: int, memory: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    return apply


def run_limited(args: list[str], *, timeout: float = 30, memory: int = 1536 * MiB,
                cwd: str = "/", env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in its own session under limits; on timeout kill the whole group (so a
    blocked learner started by prefixlab goes too) and fail."""
    process = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True,
                               preexec_fn=_limits(int(timeout) + 5, memory))
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{args[:3]}: still running after {timeout:g}s")
    return subprocess.CompletedProcess(args, process.returncode,
                                       out.decode("utf-8", "surrogateescape"),
                                       err.decode("utf-8", "surrogateescape"))


def predict(program: Path, cwd: Path, *extra: str, command: str = "predict",
            timeout: float = 30, memory: int = 1536 * MiB) -> dict[str, Any]:
    done = run_limited([PREFIXLAB, command, "--json", "--clear-env",
                        *(f"--env={k}={v}" for k, v in ENV.items()), "--cwd", str(cwd),
                        str(program), *extra, "-c", "pass"], timeout=timeout, memory=memory)
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def real_path(program: Path, cwd: Path, *extra: str, timeout: float = 60) -> list[str] | None:
    """sys.path as the real interpreter reports it, or None if it is still blocked after
    ``timeout`` seconds."""
    code = "import sys, json; print(json.dumps(sys.path))"
    try:
        done = subprocess.run([str(program), *extra, "-c", code], cwd=cwd, env=ENV,
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stdout.splitlines()[-1])
    return found


def make_venv(root: Path, interp: Interpreter, *, cfg: bool = True) -> tuple[Path, Path]:
    """A venv as `python -m venv --symlinks` makes it: (bin/python, site-packages)."""
    major, minor = interp.version[:2] if interp.version else (3, 12)
    (root / "venv" / "bin").mkdir(parents=True)
    (root / "venv" / "bin" / "python").symlink_to(interp.real_path)
    if cfg:
        (root / "venv" / "pyvenv.cfg").write_text(
            f"home = {os.path.dirname(interp.real_path)}\n"
            "include-system-site-packages = false\n")
    site = root / "venv" / "lib" / f"python{major}.{minor}" / "site-packages"
    site.mkdir(parents=True)
    return root / "venv" / "bin" / "python", site


# -- defect 3: what blocks is a hang, never a blocked prefixlab -------------------------------
@pytest.mark.real
def test_fifo_pth_is_a_hang(tmp_path: Path) -> None:
    python, site = make_venv(tmp_path, newest())
    os.mkfifo(site / "a.pth")
    assert real_path(python, tmp_path, timeout=3) is None  # the interpreter blocks in open()
    answer = predict(python, tmp_path, timeout=20)
    assert (answer["status"], answer["error"]["kind"]) == ("startup-failed", "hang")


@pytest.mark.real
def test_fifo_pyvenv_cfg_is_a_hang(tmp_path: Path) -> None:
    python, _ = make_venv(tmp_path, newest(), cfg=False)
    os.mkfifo(tmp_path / "venv" / "pyvenv.cfg")
    assert real_path(python, tmp_path, "-S", timeout=3) is None
    for command in ("predict", "explain"):
        done = run_limited([PREFIXLAB, command, "--clear-env", "--cwd", str(tmp_path),
                            str(python), "-S"], timeout=20)
        assert done.returncode == 0, done.stderr
        assert "hang" in done.stdout


@pytest.mark.real
def test_socket_and_dev_null_pth_read_as_the_kernel_reads_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """open() of a socket fails (ENXIO) and site skips the file; /dev/null reads empty."""
    python, site = make_venv(tmp_path, newest())
    (site / "a.pth").symlink_to("/dev/null")
    holder = socket.socket(socket.AF_UNIX)
    monkeypatch.chdir(site)  # a socket's address holds 107 bytes at most: bind it relative
    try:
        holder.bind("b.pth")
        expected = real_path(python, tmp_path, timeout=20)
        answer = predict(python, tmp_path, timeout=20)
    finally:
        holder.close()
    assert answer["status"] == "ok"
    assert answer["path"] == expected


@pytest.mark.real
def test_unbounded_device_is_not_modelled(tmp_path: Path) -> None:
    python, site = make_venv(tmp_path, newest())
    (site / "a.pth").symlink_to("/dev/zero")
    answer = predict(python, tmp_path, timeout=20, memory=1024 * MiB)
    assert answer["status"] == "not-modelled"
    assert "/dev/zero" in answer["error"]["message"]


@pytest.mark.real
def test_learner_blocked_by_a_pth_fifo_costs_no_timeout(tmp_path: Path) -> None:
    """A copy of the binary whose ._pth is a FIFO: the interpreter blocks at start-up
    (getpath.py reads ``<executable>._pth`` even under -I -S), and prefixlab must say so
    quickly instead of waiting for its learner twice."""
    interp = newest()
    copy = tmp_path / "bin" / os.path.basename(interp.real_path)
    copy.parent.mkdir()
    copy.write_bytes(Path(interp.real_path).read_bytes())
    copy.chmod(0o755)
    os.mkfifo(str(copy) + "._pth")
    assert real_path(copy, tmp_path, "-I", "-S", timeout=3) is None
    started = time.monotonic()
    done = run_limited([PREFIXLAB, "predict", "--json", "--no-cache", "--clear-env",
                        "--cwd", str(tmp_path), str(copy), "-S"], timeout=25)
    assert time.monotonic() - started < 20
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["status"] in ("startup-failed", "not-modelled")
    assert "._pth is a FIFO" in answer["error"]["message"]


def test_learner_dies_with_prefixlab(tmp_path: Path) -> None:
    """A SIGKILL of prefixlab while its learner runs takes the learner with it."""
    pid_file = tmp_path / "pid"
    sleeper = (f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
               "time.sleep(60)")
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "from prefixlab.impl.host import interpreters; "
         f"interpreters._run('sleeper', [{sys.executable!r}, '-c', {sleeper!r}])"],
        start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, "the learner did not start"
            time.sleep(0.05)
        child = int(pid_file.read_text())
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 5
        while _alive(child):
            if time.monotonic() > deadline:
                os.kill(child, signal.SIGKILL)
                pytest.fail("the learner outlived prefixlab")
            time.sleep(0.05)
    finally:
        if parent.poll() is None:
            parent.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][:1] != "Z"
    except FileNotFoundError:
        return False


# -- defect 4: large files in bounded memory and bounded output -------------------------------
def _big_pth(site: Path, size: int) -> None:
    """A .pth of ``size`` bytes: comments, blanks, a present directory again and again, and
    many distinct missing ones (site stats each)."""
    (site / "present").mkdir()
    lines = []
    total = 0
    i = 0
    while total < size:
        line = ("# comment", "", "present", f"missing-{i}", "present")[i % 5] + "\n"
        lines.append(line)
        total += len(line)
        i += 1
    (site / "big.pth").write_text("".join(lines))


@pytest.mark.real
def test_large_pth_gives_the_real_answer_in_bounded_memory(tmp_path: Path) -> None:
    python, site = make_venv(tmp_path, newest())
    _big_pth(site, 4 * MiB)
    expected = real_path(python, tmp_path)
    answer = predict(python, tmp_path, timeout=60, memory=1024 * MiB)
    assert answer["status"] == "ok"
    assert answer["path"] == expected
    assert len(json.dumps(answer)) < MiB  # the trace summarises the file


@pytest.mark.real
def test_explain_of_a_large_pth_is_bounded(tmp_path: Path) -> None:
    python, site = make_venv(tmp_path, newest())
    _big_pth(site, MiB)
    done = run_limited([PREFIXLAB, "explain", "--clear-env", "--cwd", str(tmp_path),
                        str(python)], timeout=60, memory=1024 * MiB)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) < 200_000
    assert "more" in done.stdout


# -- defect 5: depth ------------------------------------------------------------------------
@pytest.mark.real
def test_a_thousand_directories_deep(tmp_path: Path) -> None:
    deep = tmp_path
    for _ in range(1000):  # one level at a time: pathlib's mkdir(parents=True) recurses
        deep = deep / "d"
        deep.mkdir()
    try:
        python, _ = make_venv(deep, newest())
        expected = real_path(python, deep)
        assert expected is not None
        answer = predict(python, deep, timeout=60)
        assert answer["status"] == "ok"
        assert answer["path"] == expected
    finally:
        # Removed here, innermost first: shutil.rmtree (pytest's cleanup) recurses per level.
        shutil.rmtree(deep / "venv", ignore_errors=True)
        while deep != tmp_path:
            deep.rmdir()
            deep = deep.parent


# -- defect 6: files too large to model are said to be so -----------------------------------
@pytest.mark.real
def test_file_above_the_read_limit_is_not_modelled(tmp_path: Path) -> None:
    python, site = make_venv(tmp_path, newest())
    with open(site / "huge.pth", "wb") as handle:
        handle.truncate(65 * MiB)  # sparse: no disk used
    answer = predict(python, tmp_path, timeout=20, memory=1024 * MiB)
    assert answer["status"] == "not-modelled"
    message = answer["error"]["message"]
    assert "huge.pth" in message and str(65 * MiB) in message


@pytest.mark.real
def test_explain_of_a_long_sys_path_is_bounded(tmp_path: Path) -> None:
    """2,000 directories a .pth appends: predict gives them all (the real sys.path), explain
    tells the first steps and rows and counts the rest."""
    python, site = make_venv(tmp_path, newest())
    names = [f"dir{i:04d}" for i in range(2000)]
    for name in names:
        (site / name).mkdir()
    (site / "many.pth").write_text("".join(name + "\n" for name in names))
    expected = real_path(python, tmp_path)
    assert predict(python, tmp_path, timeout=60)["path"] == expected
    done = run_limited([PREFIXLAB, "explain", "--clear-env", "--cwd", str(tmp_path),
                        str(python)], timeout=60)
    assert done.returncode == 0, done.stderr
    assert "1970 more steps of this rule, left out here" in done.stdout
    assert f"and {len(expected) - 51} more, left out here" in done.stdout
    assert len(done.stdout) < 100_000


@pytest.mark.real
def test_fifo_sitecustomize_is_not_imported(tmp_path: Path) -> None:
    """importlib's FileFinder takes only a regular file as a module (_path_isfile): a FIFO
    sitecustomize.py is passed over, never opened, and the interpreter starts."""
    python, site = make_venv(tmp_path, newest())
    os.mkfifo(site / "sitecustomize.py")
    expected = real_path(python, tmp_path, timeout=20)
    assert expected is not None
    answer = predict(python, tmp_path, timeout=20)
    assert answer["status"] == "ok"
    assert answer["path"] == expected
    assert answer["code_not_run"] == []


@pytest.mark.real
def test_many_import_lines_are_counted(tmp_path: Path) -> None:
    """200,000 import lines (the interpreter runs each): the answer is the real sys.path,
    past 20 lines of a file they are counted, and a failing import after them still ends
    the file (site: 'Remainder of file ignored')."""
    python, site = make_venv(tmp_path, newest())
    (site / "present").mkdir()
    (site / "a.pth").write_text("import os\n" * 200_000 + "present\n")
    (site / "b.pth").write_text("import os\n" * 30 + "import no_such_module_here\n"
                                "import sys; sys.flags\n" * 30 + "/\n")
    expected = real_path(python, tmp_path)
    answer = predict(python, tmp_path, timeout=60, memory=1024 * MiB)
    assert answer["status"] == "ok"
    assert answer["path"] == expected
    # site.venv() reads the venv's site-packages, then main() again: two files, twice each.
    assert len(answer["code_not_run"]) <= 4 * 21
    assert len(json.dumps(answer)) < MiB


# -- a killed probe takes its interpreter with it ---------------------------------------------
def _running_with(marker: str) -> list[int]:
    """The processes whose command line holds ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if marker.encode() in handle.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


@pytest.mark.real
def test_a_killed_probe_leaves_no_interpreter_running(tmp_path: Path) -> None:
    """The real interpreter blocks on a FIFO .pth; SIGKILL of `prefixlab probe` must not
    leave it blocked there (a parent-death signal and its own process group)."""
    python, site = make_venv(tmp_path, newest())
    os.mkfifo(site / "a.pth")
    probe = subprocess.Popen([PREFIXLAB, "probe", str(python), "-c", "pass"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not [p for p in _running_with(str(python)) if p != probe.pid]:
            assert time.monotonic() < deadline, "the probe never started the interpreter"
            time.sleep(0.05)
    finally:
        probe.kill()
        probe.wait()
    deadline = time.monotonic() + 5
    while _running_with(str(python)) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _running_with(str(python))
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []


# -- what the command line names may be a FIFO too ---------------------------------------------
@pytest.mark.real
def test_probe_of_a_fifo_script_does_not_block(tmp_path: Path) -> None:
    """`probe python FIFO`: the real interpreter would block opening the script; prefixlab
    must still answer (refuse or report), not wait for a writer itself."""
    os.mkfifo(tmp_path / "script.py")
    done = subprocess.run([PREFIXLAB, "probe", newest().real_path, "script.py"],
                          cwd=tmp_path, capture_output=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode in (0, 2), done.stderr
    assert b"Traceback" not in done.stderr


@pytest.mark.real
def test_build_env_with_a_fifo_for_python_does_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "python3")
    (tmp_path / "pkg").mkdir()
    done = subprocess.run([PREFIXLAB, "build", "env", str(tmp_path / "env"), "--python",
                           str(tmp_path / "python3"), "--package", str(tmp_path / "pkg")],
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and done.stderr.count(b"\n") == 1, done.stderr
    assert not (tmp_path / "env").exists()
