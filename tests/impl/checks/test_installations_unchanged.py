"""A bounded run of the real-interpreter campaign leaves the installations it models as they
were: the same files, sizes and modification times in each interpreter's stdlib and site
directories.  The runs it makes (generated cases, with and without site, and probes with -O
and -OO, whose bytecode would be ``*.opt-N.pyc`` beside the sources) go through the probe,
which adds -B (see prefixlab.impl.host.probe.no_bytecode)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import in_scope_interpreters, interpreter_id, require_oracle
from hypothesis import HealthCheck, given, settings

from prefixlab.impl.checks import campaign
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.probe import probe
from prefixlab.model.strategies.startup import Case, cases
from prefixlab.model.world.invocation import Invocation

INTERPRETERS = list(in_scope_interpreters())
CASES = min(int(os.environ.get("PREFIXLAB_REAL_CASES", "50")), 20)
_DIRS = ("import json, site, sysconfig; p = sysconfig.get_paths(); "
         "print(json.dumps([p['stdlib'], p['platstdlib'], p['purelib'], p['platlib'], "
         "*site.getsitepackages()]))")


def installation(interp: Interpreter) -> list[str]:
    """The interpreter's own stdlib and site directories, as it names them (-S: site is only
    imported for its getsitepackages, not run; -B: this run writes nothing either)."""
    done = subprocess.run([interp.real_path, "-I", "-S", "-B", "-c", _DIRS], env={}, cwd="/",
                          capture_output=True, text=True, timeout=60, check=True)
    return sorted({d for d in json.loads(done.stdout) if os.path.isdir(d)})


def listing(roots: list[str]) -> dict[str, tuple[int, int]]:
    """Every entry below ``roots`` (links not followed): its modification time and size."""
    seen: dict[str, tuple[int, int]] = {}
    for root in roots:
        for where, dirs, files in os.walk(root):
            for name in (*dirs, *files):
                path = os.path.join(where, name)
                st = os.lstat(path)
                seen[path] = (st.st_mtime_ns, st.st_size)
    return seen


def changes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
            ) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_a_campaign_run_leaves_the_installation_unchanged(interp: Interpreter) -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter here")
    roots = installation(interp)
    before = listing(roots)
    for options in (("-O",), ("-OO",), ("-O", "-E")):
        asked = Invocation.make(interp.path, (*options, "-c", "pass"),
                                env={"PATH": "/usr/bin:/bin"}, cwd="/")
        assert probe(asked).status == "ok"

    @settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    @given(cases(campaign.target_for(interp)))
    def run(case: Case) -> None:
        campaign.run_case(case, interp)

    run()
    assert changes(before, listing(roots)) == []
