"""Why a venv broke a promise, from the model's prediction for its interpreter: the rule that
decided the prefix (which also tells failures of one promise apart by their cause) and a few
lines of the explanation, e.g. "getpath searched up from home and found the landmark os.py in
LINKDIR/../lib/python3.12" for a decoy."""

from __future__ import annotations

from prefixlab.impl.render import narrate
from prefixlab.impl.render.text import plain
from prefixlab.model.outcome import Outcome
from prefixlab.model.startup.getpath import prefix, searchpath, venv
from prefixlab.model.world.fs import FsView

DECIDERS = (venv.R_VENV_PREFIX, prefix.R_HOME_SPLIT, searchpath.R_BUILD_RESET, prefix.R_ZIP,
            prefix.R_LANDMARK, prefix.R_PREFIX_MACRO, prefix.R_LIBRARY)
"""The rules by which getpath decides the prefix (render/narrate.py's summary has them in
this order).  site.py's venv(), which makes every venv's sys.prefix the venv before 3.14, is
not one: it would be every running venv's cause, and what breaks a venv is where getpath
found its base."""
STAGES_TOLD = ("venv", "home", "prefix", "builddir")
"""The getpath stages whose steps the explanation of a failure tells."""
LINES_KEPT = 4
"""Of those steps, the last ones are told: they decided the prefix."""


def cause(predicted: Outcome | None) -> str:
    """The id of the last rule of :data:`DECIDERS` that fired, '' when none did (or no
    prediction was made)."""
    if predicted is None:
        return ""
    found = ""
    for step in predicted.trace.steps:
        if step.rule in DECIDERS:
            found = step.rule.id
    return found


def explain(predicted: Outcome | None, fs: FsView | None = None) -> tuple[str, ...]:
    """The summary of the prediction's explanation, then its getpath steps about the venv and
    the prefix (the last :data:`LINES_KEPT`), in plain text."""
    if predicted is None:
        return ()
    told = narrate.explain(predicted, fs)
    steps = [plain(item.text) for item in told.items
             if item.rule.stage in STAGES_TOLD]
    return tuple(plain(s) for s in told.summary) + tuple(steps[-LINES_KEPT:])
