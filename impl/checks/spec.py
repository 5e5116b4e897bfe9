"""The environment spec checked on the real interpreters: build, run, observe, judge.

:func:`check` writes a package set (:mod:`prefixlab.model.strategies.packages`) to disk,
builds an environment of it with a flavour of ``build env`` (the reference or a historical
nixpkgs one, in process through :func:`prefixlab.impl.builders.env.build_env`), runs the
environment's interpreter entries, its package scripts, the environment reached through a link
to its directory and venvs made from it with ``ENV/bin/python -m venv``, and hands what they
printed to :func:`prefixlab.model.builders.envspec.check_env`.

Every program runs with a clean environment (``env -i`` style: ``PATH=/usr/bin:/bin``, a
scratch ``HOME``, nothing else), in a scratch working directory, with a timeout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, NoReturn

import click

from prefixlab.impl.builders import nix as nixbuild
from prefixlab.impl.render.escape import show
from prefixlab.impl.builders import wrapgen
from prefixlab.impl.builders.env import build_env
from prefixlab.impl.checks import venvcheck
from prefixlab.impl.host.materialize import Binding, materialize
from prefixlab.model.builders import envspec
from prefixlab.model.world.fs import File
from prefixlab.model.builders.plan import CWrapper
from prefixlab.model.errors import BadInput
from prefixlab.model.builders.envspec import (EnvDescription, EnvObservation, Run, Verdict,
                                      VenvObservation)

if TYPE_CHECKING:  # (hypothesis, which the strategies module needs, is not loaded by the CLI)
    from prefixlab.model.strategies.packages import BoundSet, PackageSet

TIMEOUT = 60.0
FLAVOURS = ("reference", *envspec.FLAVOURS)
"""Flavour names here: build env's, with nix-297628's argv0 mode after a slash."""
VENV_MODULE = "prefixlab_venv_own"


class SpecCheckError(BadInput):
    """The environment could not be set up (one line)."""


class InvalidPackages(SpecCheckError):
    """A generated package's own script does not run outside the environment: not an input
    the spec says anything about (one line naming it)."""


@dataclass(frozen=True)
class Checked:
    description: EnvDescription
    observation: EnvObservation
    verdicts: tuple[Verdict, ...]

    @property
    def failed(self) -> frozenset[str]:
        return envspec.failed(self.verdicts)

    def explain(self) -> str:
        return "\n".join(f"{'ok  ' if v.ok else 'FAIL'} {v.property}: {v.reason}"
                         for v in self.verdicts)


def clean_environ(home: str, path: str = "/usr/bin:/bin") -> dict[str, str]:
    return {"PATH": path, "HOME": home}


def script_environ(home: str, script: envspec.ScriptExpectation) -> dict[str, str]:
    """The environment a package script runs in.  Its #! line decides its options, so -B
    cannot be added: PYTHONDONTWRITEBYTECODE keeps it from writing bytecode into the base
    installation (a -O line left *.opt-1.pyc in site-packages), except where the line
    passes -E (the variable is then ignored) or is about bytecode itself (-B: the variable
    would hide a dropped -B from check_scripts_options)."""
    if "B" in script.options:
        return clean_environ(home)
    return {**clean_environ(home), "PYTHONDONTWRITEBYTECODE": "1"}


def _run(argv: Sequence[str], how: str, tag: str, *, env: dict[str, str], cwd: str,
         executable: str | None = None) -> Run:
    try:
        done = subprocess.run(list(argv), capture_output=True, env=env, cwd=cwd,
                              timeout=TIMEOUT, executable=executable)
    except subprocess.TimeoutExpired:
        return Run(how, -1, error=f"timed out after {TIMEOUT:.0f} s")
    except OSError as error:
        return Run(how, -1, error=f"{type(error).__name__}: {error.strerror}")
    out = done.stdout.decode("utf-8", "surrogateescape")
    marks, report, environ = envspec.parse_output(out, tag)
    errors = done.stderr.decode("utf-8", "replace").strip().splitlines()
    # the line that names the error (a fatal start-up error ends with '<no Python frame>')
    named = [line for line in errors if "Error" in line or "error" in line]
    last = (named or errors)[-1].strip() if errors else ""
    return Run(how, done.returncode, report, marks, environ, last)


def _probe_argv(names: Sequence[str]) -> list[str]:
    # -B: the interpreters run here must not write bytecode into the base installation or
    # the packages (see prefixlab.impl.host.probe.no_bytecode); it changes no observed value.
    return ["-B", "-c", envspec.probe_line(names, ())]


Builder = Callable[[str, Sequence[str], str], None]
"""Builds an environment: (interpreter, package roots, environment path); raises
SpecCheckError (one line) when it cannot."""


# -- the package set on disk ----------------------------------------------------------------------
def write_packages(packages: PackageSet, root: str, python: str) -> BoundSet:
    """Materialize the set under ``root`` (which must not exist), wrappers generated (shell:
    wrapgen with the machine's bash) or compiled (makeBinaryWrapper, cached)."""
    bound = packages.bind(root, python)
    bash = shutil.which("bash") or "/bin/bash"
    layout = bound.layout
    bindings: dict[str, Binding] = {}
    for wrapper in bound.wrappers:
        if wrapper.binary:
            compiled = nixbuild.compiled(CWrapper(wrapper.path, wrapper.original, wrapper.flags))
            layout = layout.with_node(wrapper.path, File(b"", 0o755))
            bindings[wrapper.path] = ("hardlink", compiled)
        else:
            text = wrapgen.shell_wrapper(wrapper.original, wrapper.flags, shell=bash)
            layout = layout.with_node(wrapper.path, File(text.encode("utf-8", "surrogateescape"),
                                                         0o755))
    materialize(layout, root, bindings=bindings)
    return bound


def package_python(flavour: str, interpreter: str, env: str) -> str:
    """The interpreter the packages are built for: the base interpreter for the reference
    flavour; for the nix flavours the store python laid out inside the environment, as
    nixpkgs' packages name their own python (model/builders/nix.py STORE)."""
    if flavour == "reference":
        return interpreter
    base = nixbuild.base_python(interpreter)
    from prefixlab.model.builders.nix import STORE
    return f"{env}/{STORE}/{base.name}/bin/{base.executable}"


def build(flavour: str, interpreter: str, roots: Sequence[str], env: str) -> None:
    name, _, mode = flavour.partition("/")
    options = (("argv0-mode", mode),) if mode else ()
    try:
        build_env(env, interpreter, list(roots), flavor=name, options=options)
    except Exception as error:  # one line for the test report, whatever the builder raised
        raise SpecCheckError(f"building {flavour} at {env}: {error}") from None


# -- observing ------------------------------------------------------------------------------------
def _entries(env: str) -> list[str]:
    names = sorted(n for n in os.listdir(f"{env}/bin")
                   if n == "python" or (n.startswith("python3") and "-" not in n))
    return names


def observe_entries(env: str, modules: Sequence[str], scratch: str) -> tuple[Run, ...]:
    home = f"{scratch}/home"
    runs = []
    for name in _entries(env):
        runs.append(_run([f"{env}/bin/{name}", *_probe_argv(modules)], f"{env}/bin/{name}",
                         "", env=clean_environ(home), cwd=scratch))
        runs.append(_run([name, *_probe_argv(modules)], f"{name} on PATH={env}/bin:...", "",
                         env=clean_environ(home, f"{env}/bin:/usr/bin:/bin"), cwd=scratch,
                         executable=f"{env}/bin/{name}"))
    return tuple(runs)


def observe_scripts(env: str, scripts: Sequence[envspec.ScriptExpectation], scratch: str
                    ) -> tuple[tuple[str, Run], ...]:
    home = f"{scratch}/home"
    return tuple((s.name, _run([f"{env}/bin/{s.name}"], f"{env}/bin/{s.name}", s.tag,
                               env=script_environ(home, s), cwd=scratch)) for s in scripts)


def observe_link(env: str, link: str, modules: Sequence[str], scratch: str) -> tuple[Run, ...]:
    os.symlink(env, link)
    home = f"{scratch}/home"
    return tuple(_run([f"{link}/bin/{name}", *_probe_argv(modules)], f"{link}/bin/{name}", "",
                      env=clean_environ(home), cwd=scratch) for name in _entries(env))


def control(bound: BoundSet, root: str, scratch: str) -> tuple[tuple[str, Run], ...]:
    """Each package's scripts run where the package is, outside any environment: the
    generated set is valid input only if they all run every line (a makeWrapper --add-flags
    value with an unbalanced quote, say, breaks the package's own wrapper)."""
    home = f"{scratch}/home"
    os.makedirs(home, exist_ok=True)
    out = []
    for s in bound.scripts:
        path = f"{root}/{s.tag.partition('.')[0]}/bin/{s.name}"
        out.append((s.name, _run([path], path, s.tag, env=script_environ(home, s),
                                 cwd=scratch)))
    return tuple(out)


def control_problems(bound: BoundSet, runs: Sequence[tuple[str, Run]]) -> list[str]:
    by_name = dict(runs)
    bad = []
    for s in bound.scripts:
        run = by_name[s.name]
        if run.status != 0 or run.marks != tuple(range(1, s.marks + 1)):
            bad.append(f"{run.how}: exit {run.status}, marks {list(run.marks)} ({run.error})")
    return bad


def _cfg(path: str) -> tuple[tuple[str, str], ...]:
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return ()
    out = []
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            out.append((key.strip().lower(), value.strip()))
    return tuple(out)


def observe_venv(maker: Sequence[str], venv: str, base: str, system_site: bool,
                 version: tuple[int, int], base_modules: Sequence[str],
                 base_sites: Sequence[str], scratch: str,
                 maker_environ: Mapping[str, str] | None = None) -> VenvObservation:
    """Make a venv with ``maker`` (a command, the venv path is appended; ``maker_environ``
    added to its clean environment, e.g. a builder's cache), install one module into its own
    site-packages, run its python with the probe."""
    home = f"{scratch}/home"
    argv = [*maker, *(["--system-site-packages"] if system_site else []), venv]
    created = _run(argv, " ".join(argv), "", env={**clean_environ(home), **(maker_environ or {})},
                   cwd=scratch)
    own_site = f"{venv}/lib/python{version[0]}.{version[1]}/site-packages"
    cfg = _cfg(f"{venv}/pyvenv.cfg")
    home_key = dict(cfg).get("home", "")
    run = None
    if created.status == 0:
        if os.path.isdir(own_site):
            with open(f"{own_site}/{VENV_MODULE}.py", "w", encoding="utf-8") as handle:
                handle.write("OWN = True\n")
        run = _run([f"{venv}/bin/python", *_probe_argv([VENV_MODULE, *base_modules])],
                   f"{venv}/bin/python", "", env=clean_environ(home), cwd=scratch)
    return VenvObservation(venv, base, system_site, created, cfg,
                           bool(home_key) and os.path.isdir(home_key), run, VENV_MODULE,
                           tuple(base_modules), own_site, tuple(base_sites))


def _site_dirs(runs: Sequence[Run]) -> tuple[str, ...]:
    for run in runs:
        if run.report is not None:
            return tuple(p for p in run.report.path
                         if p.endswith(("site-packages", "dist-packages")))
    return ()


# -- the whole check -------------------------------------------------------------------------------
def check(flavour: str, interpreter: str, version: tuple[int, int], packages: PackageSet,
          scratch: str, *, venvs: bool = True, link: bool = True,
          builder: Builder | None = None) -> Checked:
    """Build ``packages`` into an environment of ``flavour`` for ``interpreter`` under
    ``scratch`` (an existing empty directory) and judge it.  ``builder`` (interpreter,
    package roots, environment path) builds it instead of prefixlab's build env: another
    tool held to the reference flavour's spec."""
    os.makedirs(f"{scratch}/home", exist_ok=True)
    env = f"{scratch}/env"
    bound = write_packages(packages, f"{scratch}/pkgs", package_python(flavour, interpreter,
                                                                        env))
    if flavour == "reference":
        # (a nix flavour's packages name the store python, which exists only once built)
        problems = control_problems(bound, control(bound, f"{scratch}/pkgs", scratch))
        if problems:
            raise InvalidPackages(problems[0])
    (builder or partial(build, flavour))(interpreter, bound.roots, env)
    desc = EnvDescription(env, os.path.realpath(env), bound.modules, bound.scripts, flavour)
    entries = observe_entries(env, bound.modules, scratch)
    scripts = observe_scripts(env, bound.scripts, scratch)
    through: tuple[Run, ...] = ()
    link_path = ""
    if link:
        link_path = f"{scratch}/env-link"
        through = observe_link(env, link_path, bound.modules, scratch)
    observed_venvs: list[VenvObservation] = []
    if venvs:
        sites = _site_dirs(entries)
        maker = [f"{env}/bin/python", "-m", "venv", "--without-pip"]
        for system_site in (True, False):
            name = "venv-system" if system_site else "venv-isolated"
            observed_venvs.append(observe_venv(maker, f"{scratch}/{name}", env, system_site,
                                               version, bound.modules, sites, scratch))
    obs = EnvObservation(entries, scripts, through, link_path, tuple(observed_venvs))
    return Checked(desc, obs, tuple(envspec.check_env(desc, obs)))


# -- venvs from anything (PEP 405) ------------------------------------------------------------------
def base_of(interpreter: str, scratch: str, environ: Mapping[str, str] | None = None
            ) -> tuple[str, tuple[str, ...]]:
    """The base installation ``interpreter`` runs from (its sys.base_prefix, in the clean
    environment plus ``environ``: a pyenv shim needs its PYENV_VERSION) and its site
    directories on sys.path.  A venv's own site-packages are not the base installation's
    (PEP 405's system site-packages): for a venv, the site directories are those of the
    interpreter in its pyvenv.cfg's home."""
    home = f"{scratch}/home"
    os.makedirs(home, exist_ok=True)
    run = _run([interpreter, *_probe_argv(())], interpreter, "",
               env={**clean_environ(home), **(environ or {})}, cwd=scratch)
    if run.report is None:
        raise SpecCheckError(f"{interpreter}: does not run ({run.error})")
    report = run.report
    sites = _site_dirs([run])
    if report.prefix != report.base_prefix and venvcheck.is_venv(report.prefix):
        # A venv: its base installation's own interpreter (in pyvenv.cfg's home) tells them.
        try:
            python = venvcheck.home_interpreter(report.prefix, venvcheck.read_cfg(report.prefix))
        except venvcheck.VenvCheckError as error:
            raise SpecCheckError(f"{interpreter}: {error}") from None
        installation = _run([python, *_probe_argv(())], python, "",
                            env={**clean_environ(home), **(environ or {})}, cwd=scratch)
        sites = _site_dirs([installation])
    return report.base_prefix, sites


def check_venvs_from(maker: Sequence[str], interpreter: str, version: tuple[int, int],
                     scratch: str, maker_environ: Mapping[str, str] | None = None
                     ) -> tuple[Verdict, ...]:
    """PEP 405's promises for the venvs ``maker`` (a command; the flag and the venv path are
    appended) makes from ``interpreter``, with and without --system-site-packages."""
    base, sites = base_of(interpreter, scratch, maker_environ)
    venvs = [observe_venv(maker, f"{scratch}/{'v-system' if system else 'v-isolated'}", base,
                          system, version, (), sites, scratch, maker_environ)
              for system in (True, False)]
    return tuple(envspec.check_venvs(venvs, from_env=False))


# -- an environment built elsewhere: `prefixlab build check` ------------------------------------
_SKIPPED = (".dist-info", ".egg-info", ".pth", ".data", "__pycache__")


def package_modules(root: str) -> tuple[str, ...]:
    """The top-level modules a package tree provides: ``lib/python*/site-packages`` entries
    that are modules, packages or namespace directories."""
    found: list[str] = []
    lib = os.path.join(root, "lib")
    for pydir in sorted(os.listdir(lib)) if os.path.isdir(lib) else ():
        site = os.path.join(lib, pydir, "site-packages")
        if not pydir.startswith("python") or not os.path.isdir(site):
            continue
        for name in sorted(os.listdir(site)):
            stem, ext = os.path.splitext(name)
            if name.endswith(_SKIPPED) or name.startswith(("_", ".")) or "-" in name:
                continue
            if ext == ".py" and stem.isidentifier():
                found.append(stem)
            elif ext == "" and name.isidentifier() and os.path.isdir(os.path.join(site, name)):
                found.append(name)
    return tuple(dict.fromkeys(found))


def check_existing(env: str, package_roots: Sequence[str], *, venvs: bool = True,
                   link: bool = True) -> tuple[Verdict, ...]:
    """The spec's properties that need no instrumented scripts, for an environment ENV that
    exists (its interpreter entries, the packages' modules, ENV through a link, venvs made
    from it).  Raises SpecCheckError (one line) for an ENV that is not an environment."""
    env = os.path.abspath(env)
    if not os.path.isdir(f"{env}/bin") or not _entries(env):
        raise SpecCheckError(f"{env}: no bin/python* entries, not an environment")
    libs = [n for n in sorted(os.listdir(f"{env}/lib")) if n.startswith("python3.")] \
        if os.path.isdir(f"{env}/lib") else []
    if not libs:
        raise SpecCheckError(f"{env}: no lib/python3.X directory, not an environment")
    major, _, minor = libs[0][len("python"):].partition(".")
    version = (int(major), int(minor.rstrip("t")))
    modules: list[str] = []
    for root in package_roots:
        if not os.path.isdir(root):
            raise SpecCheckError(f"{root}: not a directory")
        modules += package_modules(root)
    with tempfile.TemporaryDirectory(prefix="prefixlab-check-") as made:
        scratch = os.path.realpath(made)
        os.makedirs(f"{scratch}/home")
        desc = EnvDescription(env, os.path.realpath(env), tuple(modules))
        entries = observe_entries(env, modules, scratch)
        through: tuple[Run, ...] = ()
        link_path = ""
        if link:
            link_path = f"{scratch}/env-link"
            through = observe_link(env, link_path, modules, scratch)
        observed: list[VenvObservation] = []
        if venvs:
            sites = _site_dirs(entries)
            maker = [f"{env}/bin/{_entries(env)[0]}", "-m", "venv", "--without-pip"]
            observed = [observe_venv(maker, f"{scratch}/{'venv-system' if s else 'venv-isolated'}",
                                     env, s, version, modules, sites, scratch)
                        for s in (True, False)]
        obs = EnvObservation(entries, (), through, link_path, tuple(observed))
        return tuple(envspec.check_env(desc, obs))


@click.command(name="check", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("env", type=click.Path(file_okay=False))
@click.option("--package", "packages", multiple=True, metavar="DIR",
              help="A package tree the environment was built from (its modules must import).")
@click.option("--no-venvs", is_flag=True, help="Do not make venvs from the environment.")
@click.option("--base", "base", metavar="PYTHON", default=None,
              help="A venv's expected base interpreter (default: the one pyvenv.cfg's home "
                   "names).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: schema, mode (venv or env), env, passed and every "
                   "verdict; base for a venv, packages for an environment.")
def check_command(env: str, packages: tuple[str, ...], no_venvs: bool,
                  base: str | None, as_json: bool) -> None:
    """Check an environment ENV against prefixlab's environment spec: its interpreter entries
    (sys.prefix == sys.base_prefix == ENV), the packages' modules, ENV reached through a link,
    and venvs made with ENV/bin/python -m venv (PEP 405).  Package scripts are not run (the
    spec's script properties need instrumented scripts: see tests/impl/checks/test_envspec_real.py).
    When ENV/pyvenv.cfg exists, ENV is judged as a venv instead, by PEP 405's promises
    (ENV/bin/python run for real; the expected base is --base or pyvenv.cfg's home): one
    line per promise (held, failed, hazard: reported but never failing, n/a: not observed).
    With --json, one object either way.  Exit 0 when every property (every applicable
    promise) holds, 1 when one fails, 2 for bad input."""
    if venvcheck.is_venv(env):
        _check_venv(env, packages, base, as_json)
    if base is not None:
        _bad_input(f"--base: {env + '/pyvenv.cfg'!r} does not exist; --base is for a venv")
    try:
        verdicts = check_existing(env, [p.partition("=")[0] for p in packages],
                                  venvs=not no_venvs)
    except SpecCheckError as error:
        click.echo(f"prefixlab build check: {show(str(error), backslash=False)}", err=True)
        raise SystemExit(2) from None
    passed = all(v.ok for v in verdicts)
    if as_json:
        click.echo(venvcheck.dumps({
            "schema": venvcheck.SCHEMA, "mode": "env", "env": env,
            "packages": [p.partition("=")[0] for p in packages], "passed": passed,
            "verdicts": [{"id": v.property, "held": v.ok, "reason": v.reason}
                         for v in verdicts]}))
    else:
        for verdict in verdicts:
            click.echo(f"{'ok  ' if verdict.ok else 'FAIL'} {verdict.property}: "
                       f"{show(verdict.reason, backslash=False)}")
    raise SystemExit(0 if passed else 1)


def _bad_input(message: str) -> NoReturn:
    click.echo(f"prefixlab build check: {show(message, backslash=False)}", err=True)
    raise SystemExit(2)


def _check_venv(env: str, packages: Sequence[str], base: str | None,
                as_json: bool) -> NoReturn:
    """The venv mode: one line per promise, or one JSON object (impl/checks/venvcheck.py);
    hazards and promises that do not apply never fail it."""
    if packages:
        _bad_input(f"--package: {env!r} is a venv (it has pyvenv.cfg); --package is for a "
                   "composed environment")
    try:
        facts, verdicts = venvcheck.check(env, base)
    except venvcheck.VenvCheckError as error:
        _bad_input(str(error))
    if as_json:
        click.echo(venvcheck.dumps(venvcheck.to_json(facts.env, facts.base.how, verdicts)))
    else:
        for verdict in verdicts:
            click.echo(venvcheck.line(verdict))
    raise SystemExit(0 if venvcheck.passed(verdicts) else 1)
