"""Stage: CALCULATE (default) home — PYTHONHOME (getpath.py; config.home in 3.8-3.10)."""

from __future__ import annotations

from prefixlab.model.startup.getpath.context import Calc
from prefixlab.model.trace import rule

R_HOME_ENV = rule(
    "home.pythonhome", "home",
    "PYTHONHOME is set (and the environment is used): it is taken as prefix[:exec_prefix] "
    "without checking that anything is there.",
    "getpath.py 'CALCULATE (default) home' (3.11+); initconfig.c config_init_home and "
    "getpath.c search_for_prefix (3.8-3.10)")
R_HOME_IGNORED = rule(
    "home.ignored", "home",
    "PYTHONHOME is set but -E or -I is in effect, so it is ignored.",
    "initconfig.c use_environment")


def home(calc: Calc) -> None:
    value = calc.inputs.env.get("PYTHONHOME") or None
    if value is None:
        return
    if not calc.inputs.config.use_environment:
        calc.step(R_HOME_IGNORED, "PYTHONHOME={home!r} ignored", home=value)
        return
    calc.home = value
    calc.step(R_HOME_ENV, "home = {home!r}", home=value)
