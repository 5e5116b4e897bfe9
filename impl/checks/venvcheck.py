"""The venv mode of ``prefixlab build check ENV`` (ENV/pyvenv.cfg exists), and the observing
step of ``prefixlab conform``: run ENV's interpreter, the expected base and
sys._base_executable for real, look at pyvenv.cfg and what its home leads to, and hand what
was seen to the pure promises (prefixlab.model.builders.venvpromises).

Every run goes through the probe (impl/host/probe.py: -B, so no bytecode is written into
the base installation; contained, with a time limit), in a scratch working directory.  The
venv's runs get a clean environment (``PATH`` ``/usr/bin:/bin`` and a scratch ``HOME``, as
impl/checks/spec.py runs environments: the caller's user site and ``PYTHON*`` variables are
no part of what a venv promises); the expected base gets the same unless the caller gives it
its own environment and working directory (a bare name found on that PATH, a pyenv shim
needing PYENV_VERSION, a path relative to that directory).

:func:`observe` takes keyword options for that, an already-run expected base, and switches
for the extras (the user site, ENV/bin's other entries, a nested venv); the facts that only
the caller can produce (ENV/bin/python after it deleted, retargeted or moved something) are
runs of :func:`start_env`, put into the facts with ``dataclasses.replace``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence

from prefixlab.impl.host.interpreters import run_contained
from prefixlab.impl.host.probe import probe
from prefixlab.impl.render.escape import show
from prefixlab.model.builders import venvpromises
from prefixlab.model.builders.venvpromises import Start, VenvFacts, Verdict
from prefixlab.model.errors import BadInput
from prefixlab.model.outcome import Outcome
from prefixlab.model.world.invocation import Invocation

TIMEOUT = 60.0
SCHEMA = 1
"""The version of :func:`to_json`'s object (``build check ENV --json`` on a venv)."""
CLEAN_PATH = "/usr/bin:/bin"


class VenvCheckError(BadInput):
    """ENV cannot be judged as a venv (one line): its pyvenv.cfg cannot be read, or the
    expected base cannot be found or does not start."""


def is_venv(env: str) -> bool:
    """The venv mode is chosen when ENV/pyvenv.cfg exists."""
    return os.path.lexists(os.path.join(env, "pyvenv.cfg"))


def read_cfg_bytes(env: str) -> bytes:
    path = os.path.join(env, "pyvenv.cfg")
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise VenvCheckError(f"{path!r}: cannot be read ({error.strerror})") from None


def read_cfg(env: str) -> tuple[tuple[str, str], ...]:
    """pyvenv.cfg as site.py reads it (:func:`venvpromises.parse_cfg`)."""
    return venvpromises.parse_cfg(read_cfg_bytes(env).decode("utf-8", "surrogateescape"))


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


def home_venvs(home: str) -> tuple[str, ...]:
    """The venv roots met on the way to ``home``: home and its parent, as written (made
    absolute) and resolved, that hold a pyvenv.cfg file.  getpath takes an interpreter for
    a venv's when pyvenv.cfg is in its directory or the parent (Modules/getpath.py 'READ
    pyvenv.cfg', 3.11+; getpath.c calculate_open_pyenv, 3.8-3.10), so a home found here
    names a venv's bin: the venv is chained to that venv."""
    home = os.path.abspath(home)
    found = []
    for directory in dict.fromkeys((home, os.path.realpath(home))):
        for candidate in dict.fromkeys((directory, os.path.dirname(directory))):
            if os.path.isfile(os.path.join(candidate, "pyvenv.cfg")):
                found.append(candidate)
    return tuple(dict.fromkeys(found))


def clean_env(scratch: str) -> dict[str, str]:
    """The venv runs' environment: PATH /usr/bin:/bin and the scratch HOME."""
    return {"PATH": CLEAN_PATH, "HOME": os.path.join(scratch, "home")}


def run(program: str, args: Sequence[str], how: str, scratch: str, *,
        env: Mapping[str, str] | None = None, cwd: str | None = None) -> Start:
    """``program`` with ``args`` run with the probe (by default in the clean environment,
    in ``scratch``)."""
    environ = clean_env(scratch) if env is None else dict(env)
    invocation = Invocation.make(program, tuple(args), env=environ,
                                 cwd=scratch if cwd is None else cwd)
    return start_of(probe(invocation, timeout=TIMEOUT), how)


def start_of(outcome: Outcome, how: str) -> Start:
    """A probe's outcome as the promises read it: started or not (the first line of why),
    and the sys values it reported."""
    if outcome.status != "ok":
        message = outcome.error.message if outcome.error is not None else outcome.status
        lines = message.strip().splitlines() or [outcome.status]
        return Start(how, False, error=lines[0])
    return Start(how, True, prefix=outcome.prefix or "", exec_prefix=outcome.exec_prefix or "",
                 base_prefix=outcome.base_prefix or "",
                 base_exec_prefix=outcome.base_exec_prefix or "",
                 base_executable=outcome.base_executable, version=outcome.version or "",
                 path=outcome.path)


def real_paths(*runs: Start) -> tuple[tuple[str, str], ...]:
    """Each base prefix and site directory the runs reported, with its real path on disk
    now."""
    values = {value for run in runs for value in (run.base_prefix, run.base_exec_prefix)
              if value}
    values |= {entry for run in runs for entry in run.path if venvpromises.is_site_dir(entry)}
    return tuple((value, os.path.realpath(value)) for value in sorted(values))


def start_env(env: str, scratch: str, *, args: Sequence[str] = ()) -> Start:
    """ENV/bin/python run as :func:`observe` runs it (for the facts the caller adds after
    changing the world: ``after_outer_removed``, ``after_link_retargeted``,
    ``after_target_moved``)."""
    python = os.path.join(env, "bin", "python")
    os.makedirs(os.path.join(scratch, "home"), exist_ok=True)
    how = " ".join((python, *args))
    return run(python, args, how, scratch)


def user_site_dir(home: str, version: str) -> str:
    """The user site directory of a run with HOME ``home``: ~/.local/lib/pythonX.Y/
    site-packages (Lib/site.py getuserbase 'joinuser("~", ".local")' and _get_path, POSIX,
    not a framework build; 3.13's free-threaded builds add 't', not in scope here)."""
    minor = venvpromises.minor_version(version)
    xy = "%d.%d" % minor if minor else version
    return os.path.join(home, ".local", "lib", f"python{xy}", "site-packages")


def _base_user_site(base_env: Mapping[str, str], version: str) -> str | None:
    """The expected base run's user site directory from its environment (PYTHONUSERBASE,
    else HOME/.local)."""
    userbase = base_env.get("PYTHONUSERBASE") or (
        os.path.join(base_env["HOME"], ".local") if base_env.get("HOME") else "")
    if not userbase:
        return None
    minor = venvpromises.minor_version(version)
    xy = "%d.%d" % minor if minor else version
    return os.path.join(userbase, "lib", f"python{xy}", "site-packages")


def bin_entries(env: str, version: str) -> tuple[str, ...]:
    """ENV/bin's interpreter entries that exist: python, python3, pythonX.Y (X.Y of
    ``version``; 3.8's stdlib venv made from python3 writes no python3.8, so only what
    exists is judged)."""
    minor = venvpromises.minor_version(version)
    names = ["python", "python3"] + (["python%d.%d" % minor] if minor else [])
    return tuple(os.path.join(env, "bin", name) for name in names
                 if os.path.lexists(os.path.join(env, "bin", name)))


def make_nested(env: str, scratch: str) -> Start:
    """``ENV/bin/python -m venv --without-pip NESTED`` (in the scratch directory, clean
    environment), then NESTED/bin/python run without -S."""
    nested = tempfile.mkdtemp(prefix="nested-", dir=scratch)
    shutil.rmtree(nested)
    python = os.path.join(env, "bin", "python")
    how = f"{python} -m venv --without-pip {nested}"
    try:
        code, _, err = run_contained([python, "-B", "-m", "venv", "--without-pip", nested],
                                     timeout=TIMEOUT, env=clean_env(scratch), cwd=scratch)
    except (OSError, subprocess.TimeoutExpired) as error:
        return Start(how, False, error=str(error).splitlines()[0])
    if code != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        return Start(how, False, error=lines[-1] if lines else f"exit status {code}")
    inner = os.path.join(nested, "bin", "python")
    return run(inner, (), inner, scratch)


_ACTIVATE = r"""
. "$1/bin/activate" || exit 3
printf '%s\0' "${VIRTUAL_ENV+set}" "${VIRTUAL_ENV-}" "$PATH" "$(command -v python)"
deactivate
printf '%s\0' "${VIRTUAL_ENV+set}" "${VIRTUAL_ENV-}" "$PATH"
"""
"""Sourced as a user sources it (bash, not a login or interactive shell), then deactivated;
what each step left, NUL-separated.  Run as ``bash -c SCRIPT bash ENV``."""


def activate(env: str, scratch: str) -> venvpromises.Activation | None:
    """Source ENV/bin/activate in bash (the clean environment, in ``scratch``), then
    ``deactivate``; None when ENV has no bin/activate or there is no bash."""
    script = os.path.join(env, "bin", "activate")
    bash = shutil.which("bash", path=CLEAN_PATH)
    if bash is None or not os.path.isfile(script):
        return None
    environ = clean_env(scratch)
    try:
        code, out, err = run_contained([bash, "--noprofile", "--norc", "-c", _ACTIVATE,
                                        "bash", env], timeout=TIMEOUT, env=environ,
                                       cwd=scratch)
    except (OSError, subprocess.TimeoutExpired) as error:
        return venvpromises.Activation(environ["PATH"], False, str(error).splitlines()[0])
    fields = [os.fsdecode(part) for part in out.split(b"\0")]
    if code != 0 or len(fields) != 8:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        return venvpromises.Activation(environ["PATH"], False,
                                       lines[-1] if lines else f"exit status {code}")
    virtual_env = fields[1] if fields[0] else None
    after = fields[5] if fields[4] else None
    named = {env, os.path.join(env, "bin"), fields[2].split(":")[0],
             os.path.dirname(fields[3])} | ({virtual_env} if virtual_env else set())
    return venvpromises.Activation(
        environ["PATH"], True, virtual_env=virtual_env, path=fields[2], python=fields[3],
        virtual_env_after=after, path_after=fields[6],
        real_paths=tuple((name, os.path.realpath(name)) for name in sorted(named) if name))


def _resolve_base(base: str | None, env: str, cfg: Sequence[tuple[str, str]],
                  base_env: Mapping[str, str] | None) -> str:
    if base is None:
        return home_interpreter(env, cfg)
    if base_env is not None:
        return base  # run as named: the probe searches base_env's PATH, from base_cwd
    if "/" not in base:
        found = shutil.which(base)
        if found is None:
            raise VenvCheckError(f"--base {base!r}: not found on PATH")
        return found
    return os.path.abspath(base)


def observe(env: str, base: str | None, scratch: str, *,
            base_env: Mapping[str, str] | None = None, base_cwd: str | None = None,
            base_start: Start | None = None, plain: Start | None = None,
            user_site: bool = True, entries: bool = True, nested: bool = True,
            activation: bool = True) -> VenvFacts:
    """Run ENV/bin/python (without and with -S), the expected base and sys._base_executable,
    and record pyvenv.cfg and the venvs on the way to its home.

    ``base``: the expected base as the caller names it; None: the interpreter pyvenv.cfg's
    home names.  Without ``base_env`` a bare name is looked up on our PATH and the base runs
    in the clean environment; with it, the name or path is run as it is, with that
    environment, in ``base_cwd`` (default: the scratch directory).  ``base_start``: the
    expected base already run (by the caller; it is not run again).  ``plain``:
    ENV/bin/python already run without -S as :func:`start_env` runs it (a caller that keeps
    the probe's whole outcome); with it, ``user_site`` is not observed (the directory must
    exist before that run).  ``user_site``,
    ``entries``, ``nested``: observe the user site directory (created under the scratch
    HOME before the venv runs), ENV/bin's other interpreter entries, a venv made with
    ENV/bin/python -m venv; ``activation``: source ENV/bin/activate in bash (:func:`activate`);
    each off leaves its promise not observed."""
    data = read_cfg_bytes(env)
    cfg = venvpromises.parse_cfg(data.decode("utf-8", "surrogateescape"))
    home = os.path.join(scratch, "home")
    os.makedirs(home, exist_ok=True)
    if base_start is None:
        program = _resolve_base(base, env, cfg, base_env)
        base_start = run(program, (), base or program, scratch, env=base_env,
                         cwd=base_cwd if base_env is not None else None)
        base_name = program
    else:
        base_name = base or base_start.how
    if not base_start.started:
        raise VenvCheckError(f"the expected base {base_name!r} does not start: "
                             f"{base_start.error}")
    created = None
    if user_site and plain is None:
        created = user_site_dir(home, base_start.version)
        os.makedirs(created, exist_ok=True)
    python = os.path.join(env, "bin", "python")
    if plain is None:
        plain = run(python, (), python, scratch)
    no_site = run(python, ("-S",), f"{python} -S", scratch)
    executable = None
    if plain.started and plain.base_executable:
        executable = run(plain.base_executable, ("-S",), f"{plain.base_executable} -S",
                         scratch)
    runs = None
    if entries:  # without -S: on 3.8-3.13 only site.py makes sys.prefix the venv
        runs = tuple(plain if entry == python else run(entry, (), entry, scratch)
                     for entry in bin_entries(env, base_start.version))
    home_value = dict(cfg).get("home")
    nested_run = make_nested(env, scratch) if nested else None
    return VenvFacts(
        env, venvpromises.system_site(cfg), plain, no_site, base_start, executable,
        cfg=data,
        home_venvs=home_venvs(home_value) if home_value else (),
        user_site=created,
        base_user_site=(_base_user_site(base_env, base_start.version)
                        if base_env is not None else None),
        entries=runs,
        nested=nested_run,
        activation=activate(env, scratch) if activation else None,
        real_paths=real_paths(plain, base_start, *([nested_run] if nested_run else [])))


def check(env: str, base: str | None = None) -> tuple[VenvFacts, tuple[Verdict, ...]]:
    """What the venv ENV (made absolute, not resolved) was seen to do, and the promises'
    verdicts on it."""
    env = os.path.abspath(env)
    with tempfile.TemporaryDirectory(prefix="prefixlab-check-") as made:
        facts = observe(env, base, os.path.realpath(made))
    return facts, venvpromises.judge(facts)


def check_venv(env: str, base: str | None = None) -> tuple[Verdict, ...]:
    """The promises' verdicts for the venv ENV (made absolute, not resolved)."""
    return check(env, base)[1]


def _values(values: venvpromises.Values) -> str:
    return ", ".join(f"{show(name)}={show(value)}" for name, value in values)


def status(verdict: Verdict) -> str:
    """held, failed, hazard (a hazard that did not hold: reported, not a failure), or n/a
    (not observed, or outside the promise's versions)."""
    if not verdict.applies:
        return "n/a"
    if verdict.held:
        return "held"
    return "hazard" if verdict.kind == "hazard" else "failed"


def line(verdict: Verdict) -> str:
    """One line per promise: its status, the observed and the expected values (for one
    that does not apply, what was not observed)."""
    if not verdict.applies:
        return f"{status(verdict):<6} {verdict.promise}: {_values(verdict.observed)}"
    return (f"{status(verdict):<6} {verdict.promise}: observed {_values(verdict.observed)}; "
            f"expected {_values(verdict.expected)}")


def to_json(env: str, base: str | None, verdicts: Sequence[Verdict]) -> dict[str, object]:
    """``build check ENV --json`` on a venv: one object, the values as the interpreters
    reported them (the JSON writer escapes them)."""
    return {
        "schema": SCHEMA,
        "mode": "venv",
        "env": env,
        "base": base,
        "passed": venvpromises.passed(tuple(verdicts)),
        "verdicts": [
            {"id": v.promise, "kind": v.kind, "charged": v.charged, "status": status(v),
             "held": v.held, "applies": v.applies,
             "observed": [list(pair) for pair in v.observed],
             "expected": [list(pair) for pair in v.expected]}
            for v in verdicts
        ],
    }


def dumps(data: Mapping[str, object]) -> str:
    """JSON as the other commands' --json write it (impl/cli/main.py dump): ensure_ascii, so
    the output is 7-bit and undecodable bytes in paths (lone surrogates, from
    surrogateescape) are \\udcNN escapes that json.loads turns back into the same strings."""
    return json.dumps(data, indent=2, ensure_ascii=True)


def passed(verdicts: Sequence[Verdict]) -> bool:
    """The exit status's question: did every applicable promise hold (hazards never fail)?"""
    return venvpromises.passed(tuple(verdicts))
