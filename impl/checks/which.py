"""`which` against the real importlib, for any invocation the probe can run.

The real interpreter is started as the invocation says (the command replaced, as the probe
does) and asks its own import system about every name at once: the meta-path finders in
order, as ``import`` does for a module not imported yet (``importlib._bootstrap._find_spec``;
a dotted name goes through its parent's ``__path__``).  The model must give the same
``origin`` and ``submodule_search_locations``.  Used by the tests and by campaigns.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from prefixlab.impl.checks.runnable import interpreter_start
from prefixlab.impl.host import probe as probing
from prefixlab.model.startup.imports import Resolution, context_for, which
from prefixlab.model.outcome import Outcome
from prefixlab.model.world import World
from prefixlab.model.world.invocation import Invocation

MARK = "PREFIXLAB-WHICH:"

STARTUP_NAMES = ("encodings", "encodings.utf_8", "os", "site", "json", "sitecustomize",
                 "usercustomize", "_virtualenv", "pip", "setuptools", "zipimport", "stat",
                 "__phello__", "math", "_ssl", "no_such_module_here")
"""Names whose answer depends on the start-up layout: stdlib packages and extension modules
(lib-dynload), what site may import, what venvs and site-packages hold.  The sweep asks
them on every case (prefixlab.impl.checks.campaign)."""
Answer = Any
"""(origin, locations or None), or 'not-found', 'not-a-package', 'parent-unimportable'."""

# A parent that cannot be imported (garbage in a .pyc or extension file, a package whose
# __init__ fails) is reported as such: find_spec never gets to the child.
_ORACLE = r"""
import sys, importlib, importlib._bootstrap as bootstrap
out = {}
for name in NAMES:
    parent = name.rpartition('.')[0]
    try:
        path = importlib.import_module(parent).__path__ if parent else None
    except ModuleNotFoundError:
        out[name] = 'not-found'
        continue
    except AttributeError:
        out[name] = 'not-a-package'
        continue
    except Exception:
        out[name] = 'parent-unimportable'
        continue
    spec = bootstrap._find_spec(name, path)
    if spec is None:
        out[name] = 'not-found'
    else:
        locations = spec.submodule_search_locations
        out[name] = (spec.origin, None if locations is None else list(locations))
sys.stdout.write('PREFIXLAB-WHICH:' + ascii(out) + '\n')
"""


def oracle_code(names: Sequence[str]) -> str:
    return _ORACLE.replace("NAMES", repr(tuple(names)), 1)


def real_answers(outcome: Outcome, names: Sequence[str], *, timeout: float = 60.0,
                 scripts_hold_oracle: bool = False) -> dict[str, Answer] | None:
    """What the real interpreter's importlib says, or None when it cannot be asked (a
    command line the probe cannot run, a failed start).  ``scripts_hold_oracle``: the
    script or -m module the invocation runs holds oracle_code(names) (the caller wrote it),
    so such a command line is run as it is and sys.path[0] is the script's or module's."""
    try:
        argv = probing.probe_argv(outcome.invocation.argv)
    except probing._Unsupported:
        if not scripts_hold_oracle:
            return None
        argv = tuple(outcome.invocation.argv)
    code = oracle_code(names)
    argv = probing.no_bytecode(tuple(arg.replace(probing.PROBE_CODE, code) for arg in argv))
    run = probing._execvp(outcome.invocation, argv, timeout)
    if isinstance(run, OSError):
        return None
    for line in run.stdout.splitlines():
        if line.startswith(MARK):
            return dict(ast.literal_eval(line[len(MARK):]))
    return None


def model_answer(resolution: Resolution) -> Answer:
    found = resolution.found
    if found is None:
        return "not-a-package" if resolution.error == "not a package" else "not-found"
    return (found.origin, None if found.locations is None else list(found.locations))


def model_answers(world: World, outcome: Outcome, names: Sequence[str]
                  ) -> dict[str, Answer] | None:
    # Through an exec chain (a shim, a wrapper, env), as the interpreter it reaches receives
    # the caller's command line; nothing when it gets something else to run first.
    start = interpreter_start(world, outcome.invocation)
    if not isinstance(start, Invocation):
        return None
    context = context_for(world, replace(outcome, invocation=start))
    if context is None:
        return None
    return {name: model_answer(which(context, name)) for name in names}


def differences(real: dict[str, Answer], model: dict[str, Answer]) -> list[str]:
    """One sentence per name where they differ (names whose parent the real interpreter
    could not import are left out: the model does not run __init__ code)."""
    return [f"which {name}: real {answer!r}, model {model.get(name)!r}"
            for name, answer in real.items()
            if answer != "parent-unimportable" and answer != model.get(name)]


def check(world: World, predicted: Outcome, names: Sequence[str]) -> list[str] | None:
    """The differences between `which` and the real importlib for ``names`` under the
    predicted invocation; None when either side has no answer (not a running start)."""
    model = model_answers(world, predicted, names)
    if model is None:
        return None
    real = real_answers(predicted, names)
    if real is None:
        return None
    return differences(real, model)
