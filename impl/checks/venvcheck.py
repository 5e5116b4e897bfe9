"""The venv mode of ``prefixlab build check ENV`` (ENV/pyvenv.cfg exists): run ENV's
interpreter, the expected base and sys._base_executable for real, and hand what they
reported to the pure promises (prefixlab.model.builders.venvpromises).

Every run goes through the probe (impl/host/probe.py: -B, so no bytecode is written into
the base installation; contained, with a time limit), with a clean environment (``PATH``
``/usr/bin:/bin`` and a scratch ``HOME``, as impl/checks/spec.py runs environments: the
caller's user site and ``PYTHON*`` variables are no part of what a venv promises) in a
scratch working directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence

from prefixlab.impl.host.probe import probe
from prefixlab.impl.render.escape import show
from prefixlab.model.builders import venvpromises
from prefixlab.model.builders.venvpromises import Start, VenvFacts, Verdict
from prefixlab.model.errors import BadInput
from prefixlab.model.world.invocation import Invocation

TIMEOUT = 60.0


class VenvCheckError(BadInput):
    """ENV cannot be judged as a venv (one line): its pyvenv.cfg cannot be read, or the
    expected base cannot be found or does not start."""


def is_venv(env: str) -> bool:
    """The venv mode is chosen when ENV/pyvenv.cfg exists."""
    return os.path.lexists(os.path.join(env, "pyvenv.cfg"))


def read_cfg(env: str) -> tuple[tuple[str, str], ...]:
    path = os.path.join(env, "pyvenv.cfg")
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return venvpromises.parse_cfg(handle.read())
    except OSError as error:
        raise VenvCheckError(f"{path!r}: cannot be read ({error.strerror})") from None


def home_interpreter(env: str, cfg: Sequence[tuple[str, str]]) -> str:
    """The interpreter pyvenv.cfg's home names: python{X.Y} of its version key (venv's
    ``version``, virtualenv's and uv's ``version_info``), then the name ENV/bin/python
    resolves to, then python3 and python; the first executable file in home."""
    keys = dict(cfg)
    home = keys.get("home", "")
    if not home:
        raise VenvCheckError(f"{env + '/pyvenv.cfg'!r}: no home key; name the expected base "
                             "with --base PYTHON")
    names: list[str] = []
    version = keys.get("version_info") or keys.get("version") or ""
    parts = version.split(".")
    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
        names.append(f"python{parts[0]}.{parts[1]}")
    entry = os.path.join(env, "bin", "python")
    if os.path.lexists(entry):
        names.append(os.path.basename(os.path.realpath(entry)))
    names += ["python3", "python"]
    home = os.path.abspath(home)
    for name in dict.fromkeys(names):
        candidate = os.path.join(home, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise VenvCheckError(f"{env + '/pyvenv.cfg'!r}: home {home!r} holds no python "
                         "interpreter; name the expected base with --base PYTHON")


def run(program: str, args: Sequence[str], how: str, scratch: str) -> Start:
    """``program`` with ``args`` run with the probe in a clean environment."""
    home = os.path.join(scratch, "home")
    invocation = Invocation.make(program, tuple(args), env={"PATH": "/usr/bin:/bin",
                                                            "HOME": home}, cwd=scratch)
    outcome = probe(invocation, timeout=TIMEOUT)
    if outcome.status != "ok":
        message = outcome.error.message if outcome.error is not None else outcome.status
        lines = message.strip().splitlines() or [outcome.status]
        return Start(how, False, error=lines[0])
    return Start(how, True, prefix=outcome.prefix or "", exec_prefix=outcome.exec_prefix or "",
                 base_prefix=outcome.base_prefix or "",
                 base_exec_prefix=outcome.base_exec_prefix or "",
                 base_executable=outcome.base_executable, version=outcome.version or "",
                 path=outcome.path)


def observe(env: str, base: str | None, scratch: str) -> VenvFacts:
    """Run ENV/bin/python (without and with -S), the expected base (``base``, else the
    interpreter pyvenv.cfg's home names) and sys._base_executable."""
    cfg = read_cfg(env)
    if base is None:
        base = home_interpreter(env, cfg)
    elif "/" not in base:
        found = shutil.which(base)
        if found is None:
            raise VenvCheckError(f"--base {base!r}: not found on PATH")
        base = found
    else:
        base = os.path.abspath(base)
    os.makedirs(os.path.join(scratch, "home"), exist_ok=True)
    base_run = run(base, (), base, scratch)
    if not base_run.started:
        raise VenvCheckError(f"the expected base {base!r} does not start: {base_run.error}")
    python = os.path.join(env, "bin", "python")
    plain = run(python, (), python, scratch)
    no_site = run(python, ("-S",), f"{python} -S", scratch)
    executable = None
    if plain.started and plain.base_executable:
        executable = run(plain.base_executable, ("-S",), f"{plain.base_executable} -S",
                         scratch)
    return VenvFacts(env, venvpromises.system_site(cfg), plain, no_site, base_run, executable)


def check_venv(env: str, base: str | None = None) -> tuple[Verdict, ...]:
    """The promises' verdicts for the venv ENV (made absolute, not resolved)."""
    env = os.path.abspath(env)
    with tempfile.TemporaryDirectory(prefix="prefixlab-check-") as made:
        return venvpromises.judge(observe(env, base, os.path.realpath(made)))


def _values(values: venvpromises.Values) -> str:
    return ", ".join(f"{show(name)}={show(value)}" for name, value in values)


def line(verdict: Verdict) -> str:
    """One line per promise: held or failed, the observed and the expected values."""
    return (f"{'held  ' if verdict.held else 'failed'} {verdict.promise}: observed "
            f"{_values(verdict.observed)}; expected {_values(verdict.expected)}")
