"""impl/cli/launch.py's leave(): a click-free command's exit skips the interpreter's teardown
only when that loses nothing: its output reaches a pipe, its status is kept, and what was
registered to run at exit (or a thread still running) gets the ordinary exit."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PRELUDE = "import sys\nfrom prefixlab.impl.cli.launch import leave\n"
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
"""Output to a pipe is buffered, as for a user's pipe: leave() must flush it."""


def run(body: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PRELUDE + body], capture_output=True,
                          text=True, timeout=60, env=BUFFERED)


@pytest.mark.parametrize("code", [0, 1, 2, 3])
def test_the_status_and_buffered_output_survive(code: int) -> None:
    done = run(f"sys.stdout.write('out' * 5000)\nsys.stderr.write('err')\nleave({code})\n")
    assert done.returncode == code
    assert done.stdout == "out" * 5000 and done.stderr == "err"


def test_an_exit_callback_still_runs() -> None:
    done = run("import atexit\natexit.register(lambda: print('callback'))\nleave(4)\n")
    assert (done.returncode, done.stdout) == (4, "callback\n")


def test_an_exit_callback_runs_and_the_teardown_is_still_skipped() -> None:
    """A cold build registers the kill of a learner run not taken: it runs, and the objects
    left are not finalized (the teardown is what leave() saves)."""
    done = run("import atexit\n"
               "class Kept:\n    def __del__(self):\n        print('finalized')\n"
               "kept = Kept()\natexit.register(lambda: print('callback'))\nleave(0)\n")
    assert (done.returncode, done.stdout) == (0, "callback\n")


def test_a_running_thread_is_waited_for() -> None:
    done = run("import threading, time\n"
               "def late():\n    time.sleep(0.3)\n    print('thread done', flush=True)\n"
               "threading.Thread(target=late).start()\nleave(0)\n")
    assert (done.returncode, done.stdout) == (0, "thread done\n")


def test_a_closed_pipe_is_reported_as_python_does() -> None:
    """stdout closed by its reader while the output is still buffered: the flush fails, and
    the ordinary exit reports it as for any Python program (status 120)."""
    program = PRELUDE + "sys.stdout.write('x' * 100)\nsys.stdin.readline()\nleave(0)\n"
    with subprocess.Popen([sys.executable, "-c", program], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=BUFFERED) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # before the child flushes: it is still waiting on stdin
        proc.stdin.write(b"go\n")
        proc.stdin.close()
        err = proc.stderr.read()
        status = proc.wait(timeout=60)
    assert status == 120 and b"BrokenPipeError" in err, (status, err)


def test_the_command_exits_quickly_and_main_by_systemexit(tmp_path: object) -> None:
    """impl/cli/prefixlab calls launch.command(): a click-free command (here predict) skips
    the teardown, so an object's finalizer does not run; launch.main(), for callers in
    process, ends by SystemExit as before (the finalizer runs at the ordinary exit)."""
    body = ("class Noisy:\n    def __del__(self):\n        print('torn down', flush=True)\n"
            "kept = Noisy()\n"
            "from prefixlab.impl.cli import launch\n"
            "sys.argv = ['prefixlab', 'predict', '--json', sys.executable, '-c', 'pass']\n"
            "launch.{}()\n")
    quick = run(body.format("command"))
    assert quick.returncode == 0, quick.stderr
    assert '"status": "ok"' in quick.stdout and "torn down" not in quick.stdout
    ordinary = run(body.format("main"))
    assert ordinary.returncode == 0, ordinary.stderr
    assert ordinary.stdout.endswith("torn down\n")
