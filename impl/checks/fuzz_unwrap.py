"""fuzz-unwrap: run any unwrapper command on scripts wrapped as wrapPythonPrograms wraps them,
and find a script it gets wrong.

Each case lays down a package's bin directory in a scratch directory: ``bin/.foo-wrapped`` (the
generated script after wrapPythonPrograms, see prefixlab.model.scripts.nixwrap) and ``bin/foo`` (the
shell wrapper that runs it).  COMMAND runs under ``/bin/sh -c`` there, with ``{script}``
replaced by the shell-quoted path of ``.foo-wrapped`` and ``{python}`` by the shell-quoted path
of the environment's interpreter (:data:`PYTHON`, which need not exist).  The right output is
the original script, byte for byte, with its interpreter replaced by {python}.  A wrong output,
a non-zero exit, a crash or a hang is a finding; Hypothesis then shrinks it.
"""

from __future__ import annotations

import hashlib
import os
import selectors
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

from prefixlab.impl.host.interpreters import cache_dir
from prefixlab.model.scripts.nixwrap import NixWrap, wrap_python_programs
from prefixlab.model.strategies.scripts import Script, nix_wrappable_scripts, nix_wraps

PYTHON = "/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-python3-3.12.8-env/bin/python3.12"
"""{python}: the interpreter of the environment the unwrapped script should run with."""
NAME = "foo"
WRAP = NixWrap()
SANITY = Script(b"#!", b"/usr/bin/python3", b"", b"\n",
                b"# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom foo.cli import main\n"
                b"if __name__ == '__main__':\n    sys.exit(main())\n")
"""pip's console-script shape: every unwrapper, even the line-3 rule, should get it right."""


@dataclass(frozen=True)
class Run:
    """What COMMAND did on one case."""

    status: int | None
    """Exit status; negative for a signal; None when it was killed for taking too long."""
    stdout: bytes
    stderr: bytes
    seconds: float
    overflow: bool = False
    """Killed for printing more than OUTPUT_LIMIT bytes (not for its time)."""
    limit: float = 0.0
    """The time limit it ran under, in seconds, as given."""


@dataclass(frozen=True)
class Finding:
    script: Script
    wrapped: bytes
    expected: bytes
    run: Run
    command: str
    """COMMAND with {script} and {python} substituted, as run."""
    template: str
    """COMMAND as given."""

    @property
    def problem(self) -> str:
        if self.run.overflow:
            return f"it printed more than {OUTPUT_LIMIT >> 20} MiB"
        if self.run.status is None:
            return f"it did not finish within {self.run.limit:.15g} s"
        if self.run.status < 0:
            return f"it was killed by signal {-self.run.status}"
        if self.run.status:
            return f"it exited with status {self.run.status}"
        return "it printed something other than the original script"


class _Enough(BaseException):
    """Ends a pass early; a BaseException, so Hypothesis does not take it for a failure."""


class _Found(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.problem)
        self.finding = finding


@dataclass
class Fuzzer:
    """Runs COMMAND on cases; remembers every outcome so a replay never runs it twice."""

    command: str
    timeout: float = 10.0
    seen: dict[tuple[bytes, NixWrap], Finding | None] = field(default_factory=dict)
    cases: int = 0

    def known(self, key: tuple[bytes, NixWrap]) -> bool:
        return key in self.seen

    def check(self, script: Script, wrap: NixWrap = WRAP) -> Finding | None:
        """The outcome for this case; COMMAND runs only the first time."""
        key = (script.text, wrap)
        if key not in self.seen:
            self.seen[key] = self.run_case(script, wrap)
            self.cases += 1
        return self.seen[key]

    def run_case(self, script: Script, wrap: NixWrap = WRAP) -> Finding | None:
        wrapped = wrap_python_programs(script.text, wrap)
        assert wrapped is not None, "a generated script wrapPythonPrograms would not patch"
        expected = script.with_interpreter(PYTHON.encode())
        with tempfile.TemporaryDirectory(prefix="prefixlab-fuzz-unwrap-",
                                         ignore_cleanup_errors=True) as where:
            target = lay_down(Path(where), wrapped.text)
            command = substitute(self.command, shlex.quote(str(target)), shlex.quote(PYTHON))
            run = run_shell(command, Path(where), self.timeout)
        if run.status == 0 and run.stdout == expected:
            return None
        return Finding(script, wrapped.text, expected, run, command, self.command)


def lay_down(where: Path, wrapped: bytes) -> Path:
    """bin/.foo-wrapped and its makeWrapper-style wrapper bin/foo (make-wrapper.sh's
    `exec -a "$0"` form, with wrap.sh's --set PYTHONNOUSERSITE)."""
    bin_dir = where / "pkg" / "bin"
    bin_dir.mkdir(parents=True)
    target = bin_dir / f".{NAME}-wrapped"
    target.write_bytes(wrapped)
    target.chmod(0o755)
    wrapper = bin_dir / NAME
    wrapper.write_text(f"#! /bin/sh -e\nexport PYTHONNOUSERSITE='true'\n"
                       f"exec -a \"$0\" {shlex.quote(str(target))}  \"$@\"\n")
    wrapper.chmod(0o755)
    return target


def substitute(command: str, script: str, python: str) -> str:
    """{script} and {python} replaced in one pass (a path cannot bring in another field)."""
    fields = {"{script}": script, "{python}": python}
    out, i = [], 0
    while i < len(command):
        key = next((k for k in fields if command.startswith(k, i)), None)
        out.append(fields[key] if key else command[i])
        i += len(key) if key else 1
    return "".join(out)


OUTPUT_LIMIT = 16 << 20
"""Bytes of output kept from one run; a command printing more is stopped (a finding)."""


REAPER = Path(__file__).with_name("reaper.py")
"""The supervisor of each run (see prefixlab.impl.checks.reaper): no process outlives it."""


def run_shell(command: str, cwd: Path, timeout: float,
              env: Mapping[str, str] | None = None) -> Run:
    """/bin/sh -c COMMAND under the reaper, in a session of its own (with ``env``, else the
    caller's environment); every process it started, detached or not, is killed when the
    shell exits, overruns its time or prints more than OUTPUT_LIMIT bytes."""
    start = time.monotonic()
    status_in, status_out = os.pipe()
    try:
        with subprocess.Popen([sys.executable, "-I", "-S", str(REAPER), str(status_out),
                               "/bin/sh", "-c", command], cwd=cwd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              pass_fds=(status_out,), start_new_session=True,
                              env=None if env is None else dict(env)) as reaper:
            os.close(status_out)
            status_out = -1
            out, err, finished = _collect(reaper, start + timeout)
            # Output closed is not the end: a command may close it and go on running.
            finished = finished and _wait(reaper, start + timeout)
            if not finished:
                reaper.send_signal(signal.SIGTERM)  # it kills the whole tree, then exits
            _end(reaper)
            ended = _read_status(status_in) if finished else None
            if finished and ended is None:  # the reaper itself failed (its stderr says why)
                ended = reaper.returncode or 1
    finally:
        for fd in (status_in, status_out):
            if fd >= 0:
                os.close(fd)
    overflow = not finished and len(out) + len(err) >= OUTPUT_LIMIT
    return Run(ended, out, err, time.monotonic() - start, overflow, timeout)


def _wait(reaper: subprocess.Popen[bytes], deadline: float) -> bool:
    """Whether the reaper ended by the deadline."""
    try:
        reaper.wait(max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        return False
    return True


def _end(reaper: subprocess.Popen[bytes]) -> None:
    """Wait for the reaper; one that does not end in a minute is killed (a descendant stuck
    in the kernel, beyond SIGKILL's reach)."""
    try:
        reaper.wait(60)
    except subprocess.TimeoutExpired:
        reaper.kill()
        reaper.wait()


def _read_status(fd: int) -> int | None:
    """The shell's end as the reaper reported it: its exit status, negative for a signal;
    None when the reaper said nothing."""
    kind, _, number = os.read(fd, 64).decode("ascii").partition(" ")
    if kind == "exit":
        return int(number)
    return -int(number) if kind == "signal" else None


def _collect(child: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bytes, bool]:
    """Read both pipes until they close (True), or the deadline or the limit (False)."""
    assert child.stdout is not None and child.stderr is not None
    chunks: dict[int, list[bytes]] = {child.stdout.fileno(): [], child.stderr.fileno(): []}
    total = 0
    with selectors.DefaultSelector() as selector:
        for pipe in (child.stdout, child.stderr):
            selector.register(pipe, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0 or total > OUTPUT_LIMIT:
                break
            for key, _ in selector.select(left):
                data = os.read(key.fd, 1 << 16)
                if not data:
                    selector.unregister(key.fileobj)
                chunks[key.fd].append(data)
                total += len(data)
        done = not selector.get_map()
    out, err = (b"".join(chunks[p.fileno()]) for p in (child.stdout, child.stderr))
    return out[:OUTPUT_LIMIT], err[:OUTPUT_LIMIT - min(len(out), OUTPUT_LIMIT)], done


@dataclass(frozen=True)
class Budget:
    max_examples: int = 1000
    seconds: float = 30.0
    """Wall-clock budget: new cases stop at 2/3 of it, shrinking at all of it."""
    seed: int | None = None
    """A fixed seed; the example database is then neither read nor written, so the same
    seed gives the same run."""


def database_dir(command: str) -> Path:
    """Hypothesis' example database for COMMAND, in prefixlab's cache directory."""
    digest = hashlib.sha256(command.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return Path(cache_dir()) / "fuzz-unwrap" / digest


def search(fuzzer: Fuzzer, budget: Budget,
           progress: Callable[[int, float], None] = lambda cases, seconds: None
           ) -> Finding | None:
    """The shrunk finding, or None when COMMAND got every case right within the budget.

    One case at a time.  (Running several at once would need a first pass over the same
    seeded sequence, and Hypothesis ignores its example database, which replays the
    failures of earlier runs first, under a fixed seed.)  Out of budget, the search stops
    instead of generating the remaining cases."""
    start = time.monotonic()
    search_end = start + budget.seconds * 2 / 3  # new cases; shrinking may use the rest
    shrinking = False

    def case(script: Script, wrap: NixWrap) -> None:
        nonlocal shrinking
        known = fuzzer.known((script.text, wrap))
        if not known and not shrinking and time.monotonic() > search_end:
            raise _Enough  # out of budget, nothing found
        if not known and time.monotonic() > start + budget.seconds:
            return  # out of budget while shrinking: only known outcomes count now
        finding = fuzzer.check(script, wrap)
        progress(fuzzer.cases, time.monotonic() - start)
        if finding is not None:
            shrinking = True
            raise _Found(finding)

    # Hypothesis' own files go to the cache too, never into the user's working directory.
    set_hypothesis_home_dir(str(Path(cache_dir()) / "hypothesis"))
    database = None if budget.seed is not None else DirectoryBasedExampleDatabase(
        str(database_dir(fuzzer.command)))
    test = settings(max_examples=budget.max_examples, deadline=None, database=database,
                    verbosity=Verbosity.quiet, report_multiple_bugs=False, print_blob=False,
                    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
                    suppress_health_check=list(HealthCheck))(
                        given(nix_wrappable_scripts(), nix_wraps())(case))
    if budget.seed is not None:
        test = hypothesis_seed(budget.seed)(test)
    try:
        test()
    except _Found as found:
        return found.finding
    except _Enough:
        pass
    return None


def sanity(fuzzer: Fuzzer) -> Finding | None:
    """COMMAND on the simplest wrapped script; a finding here means it cannot run at all."""
    return fuzzer.run_case(SANITY)
