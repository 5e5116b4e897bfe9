"""May this command line be run for real?  probe, diff and explain --compare ask.

The probe replaces the interpreter's command with ``-c CODE``.  That is a probe only when
the caller's arguments reach a CPython interpreter as the interpreter's own command line:
PROGRAM is an interpreter, or a chain of programs that pass their arguments on to one
(makeWrapper and makeBinaryWrapper wrappers, pyenv shims, env).  A ``#!`` Python script gets
them as *its* arguments (the kernel runs its interpreter with the script's path first), and a
shell or any other program would run them as whatever they mean to it: such a PROGRAM is not
run.  The model's exec chain decides (prefixlab.model.exec.chain); the probe still runs the
real PROGRAM with the caller's own environment and arguments, never values from the model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from prefixlab.impl.host import probe as probing
from prefixlab.impl.render.text import show
from prefixlab.model.exec import chain
from prefixlab.model.world import World, kernel
from prefixlab.model.world.invocation import Invocation


@dataclass(frozen=True)
class Verdict:
    """Run it (``taken`` is how many of the caller's arguments the chain's own programs take,
    as env takes its command's name), or not (``why``, one sentence)."""

    taken: int | None
    why: str = ""


def verdict(world: World, invocation: Invocation) -> Verdict:
    """Whether the probe may run ``invocation``, decided by the model's exec chain."""
    followed = _follow(world, invocation)
    if followed is None:
        return Verdict(0)  # nothing is executed: the probe reports the failed chdir
    cwd, hop = followed
    if isinstance(hop, chain.Stopped):
        if hop.status == "exec-failed":
            # The chain fails at an exec before anything but the known hops runs: running
            # it shows the failure, which is what is compared.
            return Verdict(0)
        return Verdict(None, f"{show(invocation.program)} is not known to hand its arguments "
                       f"to a CPython interpreter ({hop.kind}: "
                       # the model's message quotes what it read as reprs, escaped already
                       f"{show(hop.message, backslash=False)})")
    taken = chain.passed_on(invocation.argv[1:], hop.invocation.argv)
    if taken is None:
        return Verdict(None, f"{_not_passed(invocation, hop)}: the probe's -c CODE would not "
                       "be its command line")
    return _check_probe_argv(world, invocation, cwd, hop, taken)


def interpreter_start(world: World, invocation: Invocation) -> Invocation | str | None:
    """What the interpreter receives (its program, argv, environment, cwd) when the
    caller's arguments reach it as its command line; else why not, one sentence; None when
    the chain reaches no interpreter (the prediction says why)."""
    followed = _follow(world, invocation)
    if followed is None or isinstance(followed[1], chain.Stopped):
        return None
    hop = followed[1]
    if chain.passed_on(invocation.argv[1:], hop.invocation.argv) is None:
        return _not_passed(invocation, hop)
    return hop.invocation


def _follow(world: World, invocation: Invocation
            ) -> tuple[str, chain.Arrived | chain.Stopped] | None:
    """The physical cwd and where the exec chain ends (None: the cwd cannot be entered)."""
    cwd = kernel.realpath(world.fs, invocation.cwd)
    if isinstance(cwd, kernel.Errno):
        return None
    return cwd, chain.follow(world.fs, invocation, cwd, world.builds, [])


def _not_passed(invocation: Invocation, hop: chain.Arrived) -> str:
    return (f"{show(invocation.program)} reaches the interpreter {show(hop.target)} "
            f"{_how(hop.invocation.argv)}")


def _check_probe_argv(world: World, invocation: Invocation, cwd: str, hop: chain.Arrived,
                      taken: int) -> Verdict:
    """The probe's own command line must reach the same interpreter the same way."""
    try:
        argv = probing.probe_argv(invocation.argv, taken=taken)
    except probing._Unsupported:
        return Verdict(taken)  # the probe reports what it cannot run (probe-unsupported)
    probed = chain.follow(world.fs, replace(invocation, argv=argv), cwd, world.builds, [])
    if (isinstance(probed, chain.Arrived) and probed.target == hop.target
            and chain.passed_on(argv[1:], probed.invocation.argv) == taken):
        return Verdict(taken)
    return Verdict(None, f"{show(invocation.program)} reaches the interpreter "
                   f"{show(hop.target)}, but not in the same way with the probe's -c CODE")


def _how(argv: tuple[str, ...]) -> str:
    """How the interpreter is started, where it does not get the caller's arguments as its
    command line: the script, command or added arguments that come first."""
    received = argv[1:]
    for n, word in enumerate(received):
        if not chain.options_only(received[:n]) or chain.options_only(received[:n + 1]) \
                or chain.options_only(received[:n + 2]):
            continue  # inside the options: an option, or one taking the next word
        if word == "--" and n + 1 < len(received):
            word = received[n + 1]
        if not word.startswith("-") or word == "-":
            return (f"with the script {show(word)} as its first argument (your arguments "
                    "are the script's)")
        return f"with {show(' '.join(received[n:n + 2]))} before your arguments"
    return "with arguments the chain adds after yours"
