"""The venv promises (model/builders/venvpromises.py) as data, and their judges on
hand-written facts: pyvenv.cfg read as CPython's Lib/site.py venv() reads it, and a promise
that needs the venv's start fails with the reason when the start fails."""

from __future__ import annotations

from prefixlab.model.builders import venvpromises
from prefixlab.model.builders.venvpromises import Start, VenvFacts


def test_every_promise_is_documented() -> None:
    ids = [p.id for p in venvpromises.PROMISES]
    assert len(ids) == len(set(ids)) == 6
    for promise in venvpromises.PROMISES:
        assert promise.statement.endswith(".") and promise.source


def test_cfg_as_site_reads_it() -> None:
    # site.py: key and value stripped, the key lower-cased, lines without '=' skipped;
    # include-system-site-packages is true exactly when its value lower-cased is 'true'.
    cfg = venvpromises.parse_cfg("Home = /opt/py/bin \nno equals sign\n"
                                 "include-system-site-packages=TRUE\n")
    assert cfg == (("home", "/opt/py/bin"), ("include-system-site-packages", "TRUE"))
    assert venvpromises.system_site(cfg)
    assert not venvpromises.system_site((("include-system-site-packages", "yes"),))
    assert not venvpromises.system_site(())


def test_a_failed_start_fails_every_promise_with_its_reason() -> None:
    failed = Start("/v/bin/python", False, error="Fatal Python error: x")
    base = Start("/b/bin/python3", True, prefix="/b", exec_prefix="/b", base_prefix="/b",
                 base_exec_prefix="/b", version="3.12.1", path=("/b/lib/python3.12/site-packages",))
    facts = VenvFacts("/v", False, failed, failed, base)
    verdicts = venvpromises.judge(facts)
    assert [v.held for v in verdicts] == [False] * 6
    for verdict in verdicts:
        assert ("/v/bin/python", "failed: Fatal Python error: x") in verdict.observed
