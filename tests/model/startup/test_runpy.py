"""-m of a module that cannot be found, model against every real interpreter here.

runpy reports it after start-up (site's warnings first) and exits with status 1:
'<sys.executable>: No module named X', or for a namespace package without __main__
'No module named X.__main__; 'X' is a package and cannot be directly executed'.  The
expected outcome comes from running the real interpreter (prefixlab.impl.host.probe runs -m of
prefixlab's reserved absent name as it is).
"""

from __future__ import annotations

import pytest

from prefixlab.impl.host.account import host_account
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.materialize import materialize, scratch_dir
from prefixlab.impl.host.probe import ABSENT_MODULE, probe
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.world.fs import Dir, File, Layout, Node
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.world import World
from prefixlab.model.startup.predict import predict

from conftest import in_scope_interpreters, interpreter_id, require_oracle

INTERPRETERS = list(in_scope_interpreters())

# (what the working directory holds, options, PYTHONPATH entries below the root)
Situation = tuple[dict[str, "bytes | None"], tuple[str, ...], tuple[str, ...]]
SITUATIONS: dict[str, Situation] = {
    "nowhere": ({}, ("-S",), ()),
    "nowhere-site": ({}, (), ()),
    "namespace-in-cwd": ({ABSENT_MODULE: None}, ("-S",), ()),
    "namespace-on-pythonpath": ({f"pp/{ABSENT_MODULE}": None}, (), ("pp",)),
    "namespace-with-main": ({ABSENT_MODULE: None, f"{ABSENT_MODULE}/__main__.py": b""},
                            ("-S",), ()),
    "module-on-pythonpath": ({f"pp/{ABSENT_MODULE}.py": b"raise SystemExit(3)\n"}, ("-S",),
                             ("pp",)),
    "isolated-cwd-namespace": ({ABSENT_MODULE: None}, ("-I",), ()),
}


def test_some_interpreter_is_found() -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found on this machine")


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
@pytest.mark.parametrize("situation", sorted(SITUATIONS))
def test_missing_module(interp: Interpreter, situation: str) -> None:
    assert interp.constants is not None
    files, options, pythonpath = SITUATIONS[situation]
    with scratch_dir("prefixlab-runpy-") as root:
        nodes: dict[str, Node] = {root: Dir()}
        for name, data in files.items():
            parts = name.split("/")
            for i in range(1, len(parts)):
                nodes[f"{root}/{'/'.join(parts[:i])}"] = Dir()
            nodes[f"{root}/{name}"] = Dir() if data is None else File(data)
        layout = Layout(nodes)
        materialize(layout, root)
        env = {"PATH": "/usr/bin:/bin"}
        if pythonpath:
            env["PYTHONPATH"] = ":".join(f"{root}/{p}" for p in pythonpath)
        invocation = Invocation.make(interp.path, [*options, "-m", ABSENT_MODULE], env=env,
                                     cwd=root)
        world = World(Snapshot("/"), {interp.real_path: interp.constants}, host_account())
        predicted = predict(world, invocation)
        observed = probe(invocation)
    if situation in ("namespace-with-main", "module-on-pythonpath"):
        # The module runs (it prints nothing): the model says the start is fine (it does not
        # run the module's code), and the probe sees an interpreter that ran and ended
        # without a report: a failed start named by its exit status, not a failed exec.
        assert predicted.status == "ok"
        assert observed.status == "startup-failed" and observed.error is not None
        assert observed.error.kind == ("exit-3" if situation == "module-on-pythonpath"
                                       else "unknown")
        return
    assert observed.status == "startup-failed", observed
    assert observed.error is not None and observed.error.kind == "module-not-found"
    assert predicted.comparable() == observed.comparable()
    assert predicted.error is not None and observed.error.message.endswith(
        predicted.error.message.partition(": ")[2])
    assert "startup.module-missing" in predicted.trace.rules()
