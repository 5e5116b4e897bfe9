"""The script properties at 1,000+ examples each: run with --sweep.

The same checks as test_scripts_wrap.py and test_scripts_sed_oracle.py (their undecorated
bodies), with many more examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import test_scripts_sed_oracle as sed_oracle
import test_scripts_wrap as wrapping
from prefixlab.model.strategies.scripts import Script, nix_wrappable_scripts, python_scripts

pytestmark = pytest.mark.sweep
LONG = settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))


@LONG
@given(script=python_scripts(), python=wrapping.PYTHONS, other=wrapping.PYTHONS)
def test_unwrap_undoes_wrap(script: Script, python: bytes, other: bytes) -> None:
    wrapping.test_unwrap_undoes_wrap.hypothesis.inner_test(script, python, other)


@LONG
@given(script=nix_wrappable_scripts(), python=wrapping.PYTHONS)
def test_unwrap_undoes_wrap_python_programs(script: Script, python: bytes) -> None:
    wrapping.test_unwrap_undoes_wrap_python_programs.hypothesis.inner_test(script, python)


@LONG
@given(script=python_scripts(env_options=False), python=wrapping.PYTHONS)
def test_wrapped_compiles_with_futures_first(script: Script, python: bytes) -> None:
    wrapping.test_wrapped_compiles_with_futures_first.hypothesis.inner_test(script, python)


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(script=python_scripts(), sitedirs=st.sampled_from(
    [sed_oracle.SITEDIRS, (), sed_oracle.SITEDIRS[:1]]))
def test_model_matches_gnu_sed(scratch: Path, script: Script, sitedirs: tuple[str, ...]
                               ) -> None:
    sed_oracle.check(scratch, script.text, sitedirs)


scratch = sed_oracle.scratch
