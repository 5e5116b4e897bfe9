"""prefixlab.model: the executable specification of CPython's start-up path computation.

Pure and deterministic: every fact about the world (the filesystem, the environment, the
interpreter build) arrives as a value.  Nothing here reads the disk, the clock or os.environ.

The public surface is :data:`__all__`::

    from prefixlab.model import Invocation, Layout, World, predict
    outcome = predict(World(layout, builds), Invocation(program, argv, env, cwd))

Subpackages, by subsystem: ``world`` (the filesystem value, the kernel's resolution, the
account, the invocation, build constants and the behaviour table), ``paths`` (each path
dialect once), ``startup`` (the command line, getpath, site, the import system, install
schemes), ``exec`` (exec chains), ``scripts`` (scripts and their wrappers), ``builders``
(plans of environments), ``strategies`` (public Hypothesis strategies).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays off a warm build venv's start-up

if __name__ != "prefixlab.model":  # pragma: no cover - guards a packaging mistake
    # The folder is model/, but its only import name is prefixlab.model; importing it as a
    # bare `model` (repo root on sys.path) would give a second, diverging copy of every class.
    raise ImportError(f"import prefixlab.model, not {__name__!r}")

__all__ = ["predict", "World", "Invocation", "Outcome", "Trace", "Layout", "behaviour_for"]

if TYPE_CHECKING:
    from typing import Any

    from prefixlab.model.outcome import Outcome
    from prefixlab.model.startup.predict import predict
    from prefixlab.model.trace import Trace
    from prefixlab.model.world import World
    from prefixlab.model.world.build import behaviour_for
    from prefixlab.model.world.fs import Layout
    from prefixlab.model.world.invocation import Invocation

_HOMES = {
    "predict": "prefixlab.model.startup.predict",
    "World": "prefixlab.model.world",
    "Invocation": "prefixlab.model.world.invocation",
    "Outcome": "prefixlab.model.outcome",
    "Trace": "prefixlab.model.trace",
    "Layout": "prefixlab.model.world.fs",
    "behaviour_for": "prefixlab.model.world.build",
}
"""Where each public name is defined.  They are imported on first use (PEP 562): importing
one subpackage (a warm ``build venv`` imports only the venv planner) does not load the
whole model."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'prefixlab.model' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
