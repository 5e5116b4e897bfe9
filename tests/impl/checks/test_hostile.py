"""The adversarial tier: prefixlab on hostile venvs (impl/checks/hostile.py) never hangs,
never grows without bound, never prints a traceback or exits 3.

Every run ends with an answer (exit 0; a predicted failed start, `hang` or `not-modelled`
is an answer) or one line of bad input (exit 2), within a time limit and an address-space
limit.  CI runs each hostile file kind once and a bounded, derandomised set of generated
cases; ``--sweep`` runs many more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from conftest import REPO, in_scope_interpreters, require_oracle
from prefixlab.impl.checks import hostile
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.strategies.hostile import FILE_KINDS, HostileCase, hostile_cases

pytestmark = pytest.mark.real

PREFIXLAB = str(REPO / ".venv" / "bin" / "prefixlab")
CI_EXAMPLES = int(os.environ.get("PREFIXLAB_HOSTILE_EXAMPLES", "8"))


@pytest.fixture(scope="module")
def environ(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The runs' environment: this one's PATH, a cache of their own (learned once per
    module, never the user's)."""
    require_oracle(os.access(PREFIXLAB, os.X_OK), f"{PREFIXLAB} is not installed (make dev)")
    cache = tmp_path_factory.mktemp("cache")
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cache),
            "XDG_CACHE_HOME": str(cache), "LC_ALL": "C.UTF-8"}


def _newest() -> Interpreter | None:
    found = sorted(in_scope_interpreters(), key=lambda i: i.version or (0, 0, 0))
    return found[-1] if found else None


def _problems(case: HostileCase, interp: Interpreter, env: dict[str, str],
              which: slice = slice(None)) -> Iterator[str]:
    assert interp.version is not None
    root = hostile.scratch_root()
    try:
        placed = hostile.place(case, root, interp.real_path, interp.version[:2])
        for command in hostile.commands(PREFIXLAB, placed, case)[which]:
            outcome = hostile.run(command, env, root)
            problem = outcome.problem()
            if problem:
                yield f"{command[1]} on {interp.real_path}: {problem}"
    finally:
        hostile.remove(root)


PLAIN = HostileCase(cfg="regular", pth="regular", sitecustomize="regular", program="regular",
                    depth=0, name="plain", site=True)

_ONE_AT_A_TIME = ([("cfg", kind) for kind in FILE_KINDS]
                  + [("pth", kind) for kind in FILE_KINDS]
                  + [("sitecustomize", kind) for kind in FILE_KINDS if kind != "long"]
                  + [("program", "loop"), ("depth", 1000), ("name", "not-utf8"),
                     ("name", "newline")])


@pytest.mark.parametrize(("field", "kind"), _ONE_AT_A_TIME, ids=lambda v: str(v))
def test_one_hostile_file_at_a_time(field: str, kind: object,
                                    environ: dict[str, str]) -> None:
    """predict and explain, with site, on a venv where one thing is hostile."""
    interp = _newest()
    require_oracle(interp is not None, "no CPython 3.8+ interpreter was found on this machine")
    assert interp is not None
    case = HostileCase(**{**PLAIN.__dict__, field: kind})
    assert list(_problems(case, interp, environ, slice(0, 2))) == []


def _check_generated(data: st.DataObject, environ: dict[str, str]) -> None:
    interps = in_scope_interpreters()
    require_oracle(bool(interps), "no CPython 3.8+ interpreter was found on this machine")
    interp = data.draw(st.sampled_from(interps), label="interpreter")
    case = data.draw(hostile_cases(), label="case")
    note(f"{interp.real_path}: {case}")
    assert list(_problems(case, interp, environ)) == []


@settings(max_examples=CI_EXAMPLES, derandomize=True, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_hostile_venvs(data: st.DataObject, environ: dict[str, str]) -> None:
    """predict, explain and build venv on generated hostile venvs (a bounded, fixed set)."""
    _check_generated(data, environ)


@pytest.mark.sweep
@settings(max_examples=150, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate, Phase.shrink],
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_hostile_venvs_sweep(data: st.DataObject, environ: dict[str, str]) -> None:
    """The same, many more, random, shrunk on failure (run with --sweep)."""
    _check_generated(data, environ)
