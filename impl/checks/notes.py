"""The notes' examples against real interpreters: find an example, lay it down on disk for an
interpreter, do its build steps with the real builders, run it, and compare with its
``[expect]`` (the format and the model's side: prefixlab.model.notes).

A real run is judged twice: the interpreter's answer (the probe) and the model's answer for
the same files (the layout mounted over a snapshot of this machine, the build steps as the
model plans them) must both be what the note says.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from prefixlab.impl.checks import runnable
from prefixlab.impl.checks.campaign import host_builds
from prefixlab.impl.host.account import host_account
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.materialize import materialize, scratch_dir
from prefixlab.impl.host.probe import PROBE_CODE, probe
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model import notes
from prefixlab.model.errors import BadInput
from prefixlab.model.strategies.startup import PROBE_SCRIPT, stdlib_skeleton
from prefixlab.model.world import World
from prefixlab.model.world.fs import Dir, File, Layout, Node, Overlay, Symlink

NOTES = Path(__file__).resolve().parents[2] / "notes"
"""The notes of this checkout (prefixlab's repository: they are not installed)."""


def examples(directory: Path | None = None) -> list[notes.Example]:
    """Every example block of every note (notes/*.md; ``directory``: NOTES), in file
    order."""
    directory = NOTES if directory is None else directory
    if not directory.is_dir():
        raise notes.ExampleError(f"{directory}: no notes here (they are read from "
                                 "prefixlab's checkout)")
    found: list[notes.Example] = []
    for path in sorted(directory.glob("*.md")):
        found.extend(notes.read_note(path.name, path.read_text(encoding="utf-8")))
    return found


def find(ref: str, directory: Path | None = None) -> notes.Example:
    """The example named ``ref``: NOTE#N, NOTE being a note's file name, with or without
    '.md' or 'notes/', or only its number ('03#2'); ``directory``: NOTES."""
    directory = NOTES if directory is None else directory
    note, hash_, number = ref.rpartition("#")
    if not hash_ or not number.isdigit() or not note:
        raise notes.ExampleError(f"{ref!r}: name an example as NOTE#N (for example 03#2 or "
                                 "03-venvs.md#2)")
    stem = note.removeprefix("notes/").removesuffix(".md")
    paths = sorted(p for p in directory.glob("*.md")
                   if p.stem == stem or p.stem.split("-", 1)[0] == stem)
    if len(paths) != 1:
        raise notes.ExampleError(f"{ref!r}: {'no' if not paths else 'more than one'} note "
                                 f"is named {note!r} in {directory}")
    blocks = notes.read_note(paths[0].name, paths[0].read_text(encoding="utf-8"))
    if int(number) >= len(blocks):
        raise notes.ExampleError(f"notes/{paths[0].name}: has {len(blocks)} examples (0 to "
                                 f"{len(blocks) - 1}), not #{number}")
    return blocks[int(number)]


def version_of(interp: Interpreter) -> tuple[int, int, int]:
    if interp.version is None or interp.constants is None:
        raise BadInput(f"{interp.path}: its version and build are unknown ({interp.reason})")
    return interp.version


def bound_for(example: notes.Example, interp: Interpreter, root: str) -> notes.Bound:
    assert interp.constants is not None
    return notes.bound(example, root=root, version=version_of(interp),
                       prefix=interp.constants.prefix)


# -- laying an example down ---------------------------------------------------------------------
def layout_on_disk(case: notes.Bound) -> Layout:
    """The layout as written to disk: a probe placeholder holds the probe's code."""
    nodes: dict[str, Node] = dict(case.layout.items())
    for path, node in case.layout.items():
        if isinstance(node, File) and node.data == PROBE_SCRIPT:
            nodes[path] = File(PROBE_CODE.encode(), node.mode)
    return Layout(nodes)


def materialise(case: notes.Bound, interp: Interpreter, root: str) -> World:
    """Write the example at ``root`` (absent or empty) for ``interp`` and do its build steps
    (:func:`write`, then :func:`built_world`)."""
    write(case, interp, root)
    return built_world(case, interp)


def write(case: notes.Bound, interp: Interpreter, root: str) -> None:
    """Write the example's layout at ``root`` (absent or empty; the layout's paths are under
    it) for ``interp``: its binaries hard links to (or copies of) the interpreter, its
    standard libraries directories of links to the interpreter's own (with the files the
    layout puts inside one: :func:`as_written`)."""
    stdlib = _stdlib(interp)
    layout, farms = as_written(case, stdlib)
    bindings: dict[str, Any] = {p: ("hardlink", interp.real_path) for p in case.binaries}
    bindings.update({p: ("children-links", stdlib) for p in farms})
    materialize(layout, root, bindings=bindings)


def built_world(case: notes.Bound, interp: Interpreter) -> World:
    """Do the example's build steps with the real builders, and return the world the model
    predicts the example in: its layout as written (the build steps as the model plans
    them) mounted over a snapshot of this machine.  The layout must be on disk already."""
    assert interp.constants is not None
    stdlib = _stdlib(interp)
    layout, farms = as_written(case, stdlib)
    seen: dict[str, Node] = dict(layout.items())
    names = sorted(os.listdir(stdlib))
    for farm in farms:
        seen.update({f"{farm}/{name}": Symlink(f"{stdlib}/{name}") for name in names})
    builds = dict(host_builds())
    builds.update({p: interp.constants for p in case.binaries})
    world = World(Overlay(Snapshot("/"), ((case.root, Layout(seen)),)), builds,
                  host_account())
    run_builds(case)
    return notes.with_builds(world, case)


def _stdlib(interp: Interpreter) -> str:
    assert interp.constants is not None
    return f"{interp.constants.prefix}/{interp.constants.stdlib_subdir}"


def as_written(case: notes.Bound, stdlib: str) -> tuple[Layout, tuple[str, ...]]:
    """The layout as written for the real standard library ``stdlib``, and the stdlib
    placeholders left to the writer's children-links binding (a link to every entry of
    ``stdlib``).

    Probe placeholders hold the probe's code.  A stdlib placeholder with nothing of the
    layout below it is left to the binding.  One with files below it (a .pth file or a
    sitecustomize.py in its site-packages) is written here: every directory on the way to
    such a file is a real directory holding a link to each entry of its real counterpart
    (never the real directory itself, which must not change), the file itself is the
    layout's (it replaces an entry of the same name), and each other entry is a link."""
    on_disk = layout_on_disk(case)
    nodes: dict[str, Node] = {}
    farms: list[str] = []
    for path, node in on_disk.items():
        farm = next((f for f in case.stdlibs if path == f or path.startswith(f + "/")), None)
        if farm is None:
            nodes[path] = node
    for farm in case.stdlibs:
        skeleton = stdlib_skeleton(farm)
        below = {p: n for p, n in on_disk.items()
                 if p.startswith(farm + "/") and skeleton.get(p) != n}
        if not below:
            farms.append(farm)
            nodes[farm] = Dir()
            continue
        nodes.update(_linked_dir(farm, stdlib, below))
    return Layout(nodes), tuple(farms)


def _linked_dir(here: str, real: str, below: dict[str, Node]) -> dict[str, Node]:
    """The directory ``here`` standing for the real directory ``real``: the nodes of
    ``below`` (paths under ``here``), a real directory for each entry on their way, and a
    link to ``real``'s entry for every other name."""
    nodes: dict[str, Node] = {here: Dir()}
    try:
        names = sorted(os.listdir(real)) if os.path.isdir(real) else []
    except OSError:
        names = []
    for name in names:
        path = f"{here}/{name}"
        inside = {p: n for p, n in below.items() if p.startswith(path + "/")}
        if path in below and not inside:
            continue  # the layout's own entry, added below
        if inside:
            nodes.update(_linked_dir(path, f"{real}/{name}", inside))
        else:
            nodes[path] = Symlink(f"{real}/{name}")
    for path, node in below.items():
        nodes.setdefault(path, node)
    return nodes


def needs_compiler(example: notes.Example) -> bool:
    """Does the example build a nixpkgs flavour, whose makeBinaryWrapper wrappers the real
    side compiles with the machine's C compiler (impl/builders/cwrapper.py)?"""
    data = example.bind(root=notes.MODEL_ROOT, version=(3, 12, 0), prefix=notes.MODEL_PREFIX)
    return any(step.get("flavor", "reference") != "reference"
               for step in data.get("build", []))


def run_builds(case: notes.Bound) -> None:
    """The example's build steps, by the real builders (a nixpkgs flavour of build env
    needs a C compiler: :func:`needs_compiler`)."""
    for step in case.builds:
        python, target = step["python"], step["dir"]
        cwd = case.invocation.cwd
        if step["builder"] == "venv":
            command = [python, "-m", "venv", "--without-pip"]
            if step.get("system-site-packages"):
                command.append("--system-site-packages")
            shown = shlex.join([*command, target])
            try:
                done = subprocess.run([*command, target], cwd=cwd, capture_output=True,
                                      env={"PATH": "/usr/bin:/bin"}, text=True, timeout=300)
            except (OSError, subprocess.SubprocessError) as error:
                raise notes.ExampleError(f"{case.where}: [[build]] {shown}: cannot be run "
                                         f"({error})") from None
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no message"])[-1]
                raise notes.ExampleError(f"{case.where}: [[build]] {shown}: exit status "
                                         f"{done.returncode} ({last})")
        elif step["builder"] == "prefixlab-env":
            from prefixlab.impl.builders.env import build_env

            mode = step.get("argv0-mode")
            build_env(target, python, list(step.get("packages", [])),
                      flavor=step.get("flavor", "reference"),
                      options=(("argv0-mode", mode),) if mode else ())
        else:
            from prefixlab.impl.builders.venv import build_venv
            from prefixlab.model.builders.venv import Options

            build_venv(python, target, Options(
                system_site_packages=bool(step.get("system-site-packages"))),
                cwd=cwd, env={"PATH": "/usr/bin:/bin"})


# -- running it -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Checked:
    """An example on one real interpreter: what differs from its [expect], for the
    interpreter and for the model's prediction of the same files."""

    real: list[str]
    model: list[str]


def run_real(world: World, case: notes.Bound) -> dict[str, Any]:
    """The real interpreter's answer for the example's run (exec chains followed); with
    ``flags`` expected, sys.flags read by a second run (:func:`real_flags`)."""
    verdict = runnable.verdict(world, case.invocation)
    if verdict.taken is None:
        raise notes.ExampleError(f"the run cannot be probed: {verdict.why}")
    found = notes.answer(probe(case.invocation, taken=verdict.taken))
    if "flags" in case.expect:
        found["flags"] = real_flags(case, verdict.taken)
    return found


FLAGS_MARK = "PREFIXLAB-FLAGS:"
FLAGS_CODE = ("import sys\n"
              f"_f = dict((n, int(getattr(sys.flags, n))) for n in {notes.FLAGS!r} "
              "if hasattr(sys.flags, n))\n"
              f"sys.stdout.write({FLAGS_MARK!r} + ascii(_f) + '\\n')\n")
"""What the flags run gives -c: the fields of sys.flags the notes may name, as ints (only
sys is imported; safe_path is absent before 3.11)."""


def real_flags(case: notes.Bound, taken: int) -> dict[str, int] | None:
    """sys.flags of the example's run: the same run with FLAGS_CODE as its -c command (as
    the probe puts its own code there); None when it prints none (a failed start)."""
    import ast

    from prefixlab.impl.host import probe as probing

    try:
        argv = probing.probe_argv(case.invocation.argv, taken=taken)
    except probing._Unsupported as why:  # read_note refuses flags for such a run
        raise notes.ExampleError(f"{case.where}: flags are read by a -c run; {why}") from None
    argv = probing.no_bytecode(tuple(a.replace(PROBE_CODE, FLAGS_CODE) for a in argv),
                               taken=taken)
    run = probing._execvp(case.invocation, argv, 60.0)
    if isinstance(run, OSError):
        return None
    for line in run.stdout.splitlines():
        if line.startswith(FLAGS_MARK):
            return dict(ast.literal_eval(line[len(FLAGS_MARK):]))
    return None


def check_real(example: notes.Example, interp: Interpreter) -> Checked:
    """Lay the example down in a scratch directory, run it, predict it, compare both."""
    with scratch_dir() as base:
        root = f"{base}/example"
        case = bound_for(example, interp, root)
        world = materialise(case, interp, root)
        predicted = notes.answer(_predict(world, case), world)
        observed = run_real(world, case)
    return Checked(notes.differences(case.expect, observed),
                   notes.differences(case.expect, predicted))


def _predict(world: World, case: notes.Bound) -> Any:
    from prefixlab.model.startup.predict import predict

    return predict(world, case.invocation)


SHOWN = {"executable": "sys.executable", "base_executable": "sys._base_executable",
         "prefix": "sys.prefix", "base_prefix": "sys.base_prefix",
         "exec_prefix": "sys.exec_prefix", "base_exec_prefix": "sys.base_exec_prefix",
         "path": "sys.path", "path0": "sys.path[0]", "flags": "sys.flags"}
"""What each [expect] key is in the running interpreter."""


def showing(case: notes.Bound) -> notes.Bound | None:
    """The example with its ``-c pass`` replaced by code that prints the expected values
    (None when it runs no ``-c pass``)."""
    argv = list(case.invocation.argv)
    if "-c" not in argv[1:] or argv.index("-c", 1) + 1 >= len(argv) \
            or argv[argv.index("-c", 1) + 1] != "pass":
        return None
    names = [SHOWN[key] for key in case.expect if key in SHOWN] or ["sys.prefix"]
    code = "import sys; " + "; ".join(f"print(\"{name}\", {name})" for name in names)
    argv[argv.index("-c", 1) + 1] = code
    return replace(case, invocation=replace(case.invocation, argv=tuple(argv)))


def command_line(case: notes.Bound) -> str:
    """The example's run as a shell command a reader can paste (run from its cwd)."""
    run = case.invocation
    env = ["env", "-i", *(f"{k}={v}" for k, v in run.env)]
    argv: Sequence[str] = run.argv
    words = [*env, run.program, *argv[1:]]
    if run.argv and run.argv[0] != run.program:
        # env looks a bare name up on the example's own PATH, which need not hold bash.
        words = [*env, _bash(), "-c", 'exec -a "$0" "$@"', run.argv[0], run.program,
                 *argv[1:]]
    return f"cd {shlex.quote(run.cwd)} && {shlex.join(words)}"


def _bash() -> str:
    """bash by its absolute path: the one on this process's PATH, else /bin/bash."""
    import shutil

    found = shutil.which("bash")
    return os.path.abspath(found) if found else "/bin/bash"


def explain_line(case: notes.Bound) -> str:
    """``prefixlab explain --compare`` of the example's run, with its environment, argv[0]
    and working directory given as options (explain's own reading of them)."""
    run = case.invocation
    words = ["prefixlab", "explain", "--compare", "--clear-env"]
    for name, value in run.env:
        words += ["--env", f"{name}={value}"]
    if run.argv and run.argv[0] != run.program:
        words += ["--argv0", run.argv[0]]
    words += ["--cwd", run.cwd, run.program, *run.argv[1:]]
    return shlex.join(words)


def ensure_empty(directory: str) -> None:
    """Refuse a DIR that exists and is not an empty directory."""
    if os.path.lexists(directory) and (not os.path.isdir(directory)
                                       or os.path.islink(directory)
                                       or os.listdir(directory)):
        raise BadInput(f"{directory}: exists and is not an empty directory")
