"""Shared test machinery: the --sweep switch, oracle requirements, the interpreters here.

An *oracle* is something a test compares the model against: a real interpreter, CPython's
frozen getpath code object (``_testinternalcapi.get_getpath_codeobject``, 3.11+), a C
compiler.  Missing one normally skips the test; with ``PREFIXLAB_REQUIRE_ORACLES=1`` (CI on
this machine, where every oracle is present) the test fails instead, so a broken discovery
cannot hide behind a skip.

Test modules may use ``require_oracle`` as a fixture or import it
(``from conftest import require_oracle``; pytest puts tests/ on sys.path because it has no
__init__.py).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from prefixlab.impl.host.interpreters import Interpreter, discover

TESTS = Path(__file__).resolve().parent
"""The tests folder: its data (cases/, data/, scenarios/) is found from here."""
REPO = TESTS.parent

REQUIRE_ENV = "PREFIXLAB_REQUIRE_ORACLES"
EXPECT_ENV = "PREFIXLAB_EXPECT_INTERPRETERS"
SWEEP_SKIP = "long sweep: run with --sweep"

# The `prefixlab` the tests start runs the Python package, as the tests themselves do: a
# build of the model (build/mypyc) would otherwise be used when current, and announced on
# stderr when stale.  tests/impl/host/test_compiled.py runs the build, case by case against
# the Python package, and prefixlab without this setting.
os.environ.setdefault("PREFIXLAB_COMPILED", "0")


def oracles_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def require_oracle(available: bool, why: str) -> None:
    """Skip the running test (saying ``why``) if the oracle is not ``available``; fail it
    instead under PREFIXLAB_REQUIRE_ORACLES=1."""
    if available:
        return
    if oracles_required():
        pytest.fail(f"{why} ({REQUIRE_ENV}=1: a missing oracle is a failure)", pytrace=False)
    pytest.skip(why)


@pytest.fixture(name="require_oracle")
def _require_oracle_fixture() -> Callable[[bool, str], None]:
    return require_oracle


# -- --sweep ----------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--sweep", action="store_true", default=False,
                     help="also run the long real-interpreter sweeps (tests marked 'sweep')")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--sweep"):
        return
    skip = pytest.mark.skip(reason=SWEEP_SKIP)
    for item in items:
        if item.get_closest_marker("sweep") is not None:
            item.add_marker(skip)


# -- the interpreters -------------------------------------------------------------------------
@cache
def in_scope_interpreters() -> tuple[Interpreter, ...]:
    """Every in-scope interpreter found here (once per session; usable at collection time
    for parametrize)."""
    return tuple(i for i in discover() if i.in_scope and i.constants is not None)


def interpreter_id(interp: Interpreter) -> str:
    version = "%d.%d.%d" % interp.version if interp.version else "unknown"
    return f"{version}-{interp.source}"


def expected_interpreters() -> int | None:
    """PREFIXLAB_EXPECT_INTERPRETERS as a number (CI counts them independently)."""
    text = os.environ.get(EXPECT_ENV, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        pytest.fail(f"{EXPECT_ENV}={text!r}: not a whole number", pytrace=False)


@pytest.fixture(scope="session")
def interpreters() -> list[Interpreter]:
    """The in-scope interpreters found here; fails under PREFIXLAB_REQUIRE_ORACLES when fewer
    than PREFIXLAB_EXPECT_INTERPRETERS were found."""
    found = list(in_scope_interpreters())
    expected = expected_interpreters()
    if oracles_required() and expected is not None and len(found) < expected:
        pytest.fail(f"found {len(found)} in-scope interpreters, {EXPECT_ENV}={expected}: "
                    f"{[i.path for i in found]}", pytrace=False)
    require_oracle(bool(found), "no CPython 3.8+ interpreter was found on this machine")
    return found


def has_frozen_getpath(interp: Interpreter) -> bool:
    """Does this build ship _testinternalcapi.get_getpath_codeobject (3.11+ test builds)?"""
    code = "import _testinternalcapi; _testinternalcapi.get_getpath_codeobject"
    try:
        done = subprocess.run([interp.real_path, "-I", "-S", "-c", code], env={}, cwd="/",
                              capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@pytest.fixture(scope="session")
def frozen_interpreters(interpreters: list[Interpreter]) -> list[Interpreter]:
    """The interpreters whose frozen getpath code object can be fetched."""
    found = [i for i in interpreters if has_frozen_getpath(i)]
    require_oracle(bool(found), "no interpreter here has "
                   "_testinternalcapi.get_getpath_codeobject (CPython 3.11+ with tests)")
    return found
