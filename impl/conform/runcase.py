"""One conformance case, run: stage the placement, ask the named base what it is, run the
builder, observe the venv it made, judge it by the promises, and hold the model's prediction
against the real interpreter on the built tree.

Two verdicts are kept apart: *builder* failures (a promise the real interpreter broke on what
the builder made; charged to the interpreter when stdlib's own venv module acted) and *model
fidelity* (the prediction disagreed with the real interpreter: a prefixlab bug).  A builder
that exits non-zero and leaves no target *refused* the placement: no failure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from prefixlab.impl.checks import venvcheck
from prefixlab.impl.checks.fuzz_unwrap import Run
from prefixlab.impl.conform import cause as causes
from prefixlab.impl.conform import stage as staging
from prefixlab.impl.host import world as hostworld
from prefixlab.impl.host.materialize import remove_tree, scratch_parent
from prefixlab.impl.host.probe import probe
from prefixlab.impl.render import compare as comparing
from prefixlab.model.builders import venvpromises
from prefixlab.model.builders.venvpromises import Start, VenvFacts, Verdict
from prefixlab.model.conform.case import Case
from prefixlab.model.conform.placement import Base
from prefixlab.model.outcome import Outcome
from prefixlab.model.startup.predict import predict
from prefixlab.model.world.invocation import Invocation

TIMEOUT = 60.0

Status = Literal["judged", "refused", "unstaged"]


@dataclass(frozen=True)
class Finding:
    """A promise broken (or a field the model got wrong) on one case."""

    key: str
    """The promise id, or ``fidelity.FIELD``."""
    verdict: Literal["builder", "interpreter", "fidelity", "hazard"]
    observed: tuple[tuple[str, str], ...]
    expected: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Result:
    case: Case
    status: Status
    why: str = ""
    """For refused and unstaged cases: the one-line reason."""
    command: str = ""
    """The builder's command line as run ({root} filled)."""
    root: str = ""
    """The case's directory (ROOT of the placement); gone unless the run kept it."""
    build: Run | None = None
    verdicts: tuple[Verdict, ...] = ()
    findings: tuple[Finding, ...] = ()
    expected: dict[str, Any] = field(default_factory=dict)
    observed: dict[str, Any] = field(default_factory=dict)
    predicted: Outcome | None = None
    probed: Outcome | None = None
    cause: str = ""
    """The rule that decided the venv interpreter's prefix in the prediction (impl/conform/cause.py)."""

    @property
    def failures(self) -> tuple[Finding, ...]:
        """What fails the builder (or the interpreter): not hazards, not fidelity."""
        return tuple(f for f in self.findings if f.verdict in ("builder", "interpreter"))

    @property
    def fidelity(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.verdict == "fidelity")

    @property
    def hazards(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.verdict == "hazard")


def run_case(case: Case, *, cwd: str | None = None, keep: bool = False,
             fidelity: bool = True) -> Result:
    """Run ``case`` in a new scratch directory (removed afterwards unless ``keep``)."""
    root = os.path.realpath(tempfile.mkdtemp(prefix="prefixlab-conform-",
                                             dir=scratch_parent()))
    try:
        return _run(case, root, cwd or os.getcwd(), fidelity)
    finally:
        if not keep:
            remove_tree(root)


def _run(case: Case, root: str, cwd: str, fidelity: bool) -> Result:
    work = os.path.join(root, "case")
    scratch = os.path.join(root, "scratch")
    os.makedirs(work)
    os.makedirs(os.path.join(scratch, "home"))
    try:
        staged = staging.stage(case, work)
    except staging.Refused as refused:
        return Result(case, "refused", f"an outer venv: {_exit(refused.run)}",
                      refused.command, work, refused.run)
    except staging.StageError as error:
        return Result(case, "unstaged", str(error), root=work)
    named = Invocation.make(staged.python, (), env=staged.environ, cwd=cwd)
    base = venvcheck.start_of(probe(named, timeout=TIMEOUT), staged.python)
    if not base.started:
        return Result(case, "unstaged", f"the base does not start: {base.error}", root=work)
    fake = _pseudo_venv(base)
    if fake:
        return Result(case, "unstaged", fake, root=work)
    command, build = staging.run_builder(case, staged.python, staged.target, staged.environ,
                                         cwd, case.system_site)
    if build.status != 0 and not os.path.lexists(staged.target):
        return Result(case, "refused", _exit(build), command, work, build)
    facts, predicted, probed = _observe(staged.target, base, scratch, fidelity,
                                        staged.environ, cwd)
    facts = replace(facts, asked_system_site=case.system_site)
    if case.placement.home_link and facts.plain.started:
        facts = _after_link_changes(facts, case, staged, scratch)
    if case.placement.outer and facts.plain.started:
        facts = _after_outer_removed(facts, case, staged, scratch)
    verdicts = venvpromises.judge(facts)
    findings = [_finding(v) for v in verdicts if v.applies and not v.held]
    if build.status != 0:
        findings.insert(0, Finding("build.exit-status", "builder",
                                   (("exit status", _exit(build)),), (("exit status", "0"),)))
    if predicted is not None and probed is not None:
        findings += _fidelity(predicted, probed)
    return Result(case, "judged", command=command, root=work, build=build, verdicts=verdicts,
                  findings=tuple(f for f in findings if f is not None),
                  expected=_start_json(base), observed=_start_json(facts.plain),
                  predicted=predicted, probed=probed, cause=causes.cause(predicted))


def _pseudo_venv(base: Start) -> str:
    """Why no venv can be judged against ``base`` ('' when it can): a base that reports a
    prefix other than its base prefix without a pyvenv.cfg there looks like a venv and is
    none (nixpkgs' classic python.withPackages: F-a1), and the venvs made from it are inert
    whatever the builder does (F-a2).  That is the environment's failure, which
    ``--kind env`` judges."""
    if base.prefix == base.base_prefix or os.path.isfile(os.path.join(base.prefix,
                                                                      "pyvenv.cfg")):
        return ""
    return (f"the base reports sys.prefix {base.prefix!r} and sys.base_prefix "
            f"{base.base_prefix!r} without a pyvenv.cfg: it looks like a venv and is none "
            "(an environment's failure: see conform --kind env)")


def _exit(run: Run) -> str:
    if run.status is None:
        return f"did not finish within {run.limit:.15g} s"
    err = run.stderr.decode("utf-8", "replace").strip().splitlines()
    tail = f": {err[-1]}" if err else ""
    return f"exit status {run.status}{tail}"


def _observe(target: str, base: Start, scratch: str, fidelity: bool,
             base_environ: dict[str, str], cwd: str
             ) -> tuple[VenvFacts, Outcome | None, Outcome | None]:
    """The venv observed by the promises' observer (impl/checks/venvcheck.py); with
    ``fidelity``, the model's prediction for ENV/bin/python and the probe of the same run.

    ENV/bin/python without -S is run once: the run the promises read (``plain``, after the
    user site directory is made, as the observer makes it) is the probe the prediction is
    held against (the same invocation; the runs after it write nothing it could see, their
    bytecode kept off by the probe's -B and the nested venv made beside, in scratch)."""
    python = os.path.join(target, "bin", "python")
    invocation = Invocation.make(python, (), env=venvcheck.clean_env(scratch), cwd=scratch)
    try:
        venvcheck.read_cfg_bytes(target)
    except venvcheck.VenvCheckError:  # no readable pyvenv.cfg: not a venv; judge what runs
        probed = probe(invocation, timeout=TIMEOUT)
        plain = venvcheck.start_of(probed, python)
        no_site = venvcheck.run(python, ("-S",), f"{python} -S", scratch)
        facts = VenvFacts(target, False, plain, no_site, base)
    else:
        created = venvcheck.user_site_dir(os.path.join(scratch, "home"), base.version)
        os.makedirs(created, exist_ok=True)
        probed = probe(invocation, timeout=TIMEOUT)
        facts = venvcheck.observe(target, base.how, scratch, base_start=base,
                                  plain=venvcheck.start_of(probed, python))
        facts = replace(facts, user_site=created)
    if facts.system_site and facts.user_site is not None:
        # Does the base itself, with the venv runs' HOME (its user site made), have one?
        environ = {k: v for k, v in base_environ.items()
                   if k not in ("PYTHONNOUSERSITE", "PYTHONUSERBASE")}
        environ["HOME"] = os.path.join(scratch, "home")
        own = venvcheck.run(base.how, (), base.how, scratch, env=environ, cwd=cwd)
        facts = replace(facts, base_user_site_on=own.started and facts.user_site in own.path)
    if not fidelity:
        return facts, None, None
    predicted = predict(hostworld.world_for(invocation, use_cache=True), invocation)
    return facts, predicted, probed


def _after_outer_removed(facts: VenvFacts, case: Case, staged: staging.Staged,
                         scratch: str) -> VenvFacts:
    for outer in case.placement.outer:
        remove_tree(os.path.join(staged.root, outer))
    after = venvcheck.start_env(staged.target, scratch)
    return replace(facts, after_outer_removed=after)


def _after_link_changes(facts: VenvFacts, case: Case, staged: staging.Staged,
                        scratch: str) -> VenvFacts:
    """The hazards of a placement whose base is reached through a link to its prefix (an
    alias, a linked prefix): retarget the link to a copy of the installation (an upgrade
    that keeps the old one), then, when the old one is the case's own copy, move it away
    and let the link follow (an upgrade that removes it)."""
    link = os.path.join(staged.root, case.placement.home_link or "")
    old = os.readlink(link)
    old_path = os.path.normpath(os.path.join(os.path.dirname(link), old))
    copy = os.path.join(staged.root, "upgrade")
    try:
        _copy_installation(old_path, copy, case.base)
    except OSError:
        return facts
    _relink(link, copy)
    retargeted = venvcheck.start_env(staged.target, scratch)
    _relink(link, old)
    facts = replace(facts, after_link_retargeted=retargeted)
    if not old_path.startswith(staged.root + "/"):
        return facts  # the real installation is never moved
    moved = old_path + "-moved"
    os.rename(old_path, moved)
    _relink(link, moved)
    after = venvcheck.start_env(staged.target, scratch)
    os.rename(moved, old_path)
    _relink(link, old)
    return replace(facts, after_target_moved=after)


def _copy_installation(prefix: str, to: str, base: Base) -> None:
    """``to`` made a copy of the installation at ``prefix``: its binary copied, each stdlib
    entry linked (as the relocated placement makes one)."""
    exe = os.path.basename(base.executable)
    os.makedirs(os.path.join(to, "bin"))
    shutil.copy2(os.path.join(prefix, "bin", exe), os.path.join(to, "bin", exe))
    for name in ("python3", f"python{base.xy}", "python"):
        if name != exe and os.path.lexists(os.path.join(prefix, "bin", name)):
            os.symlink(exe, os.path.join(to, "bin", name))
    stdlib = os.path.join(prefix, base.libdir, f"python{base.xy}")
    made = os.path.join(to, base.libdir, f"python{base.xy}")
    os.makedirs(made)
    for name in sorted(os.listdir(stdlib)):
        os.symlink(os.path.realpath(os.path.join(stdlib, name)), os.path.join(made, name))


def _relink(link: str, text: str) -> None:
    """Point ``link`` at ``text``, atomically (a new link renamed over it)."""
    temporary = f"{link}.relink"
    os.symlink(text, temporary)
    os.replace(temporary, link)


def _finding(verdict: Verdict) -> Finding:
    who: Literal["builder", "interpreter", "fidelity", "hazard"] = (
        "hazard" if verdict.kind == "hazard" else
        "interpreter" if verdict.charged == "interpreter" else "builder")
    return Finding(verdict.promise, who, verdict.observed, verdict.expected)


def _fidelity(predicted: Outcome, probed: Outcome) -> list[Finding]:
    if predicted.status == "not-modelled":
        return [Finding("fidelity.not-modelled", "fidelity",
                        (("predicted", "not-modelled"),), (("probed", probed.status),))]
    comparison = comparing.compare(predicted, probed)
    mine, theirs = predicted.comparable(), probed.comparable()
    return [Finding(f"fidelity.{key}", "fidelity", (("predicted", repr(mine.get(key))),),
                    (("probed", repr(theirs.get(key))),))
            for key in comparison.differences]


def _start_json(start: Start) -> dict[str, Any]:
    return {"how": start.how, "started": start.started, "error": start.error,
            "prefix": start.prefix, "exec_prefix": start.exec_prefix,
            "base_prefix": start.base_prefix, "base_exec_prefix": start.base_exec_prefix,
            "base_executable": start.base_executable, "version": start.version,
            "path": list(start.path)}
