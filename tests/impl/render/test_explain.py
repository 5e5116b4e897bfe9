"""explain: the trace as prose, and the layout graph as Mermaid.

Most cases are model worlds built by hand (no interpreter needed): a base install under
/opt/py and a venv whose bin/python is a link to it, the account a newcomer should be able to
follow.  Generated cases check that every trace renders, whatever the layout.
"""

from __future__ import annotations

import re

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from rich.console import Console

from prefixlab.impl.render import footprint, narrate, narrators

from prefixlab.impl.render import text as rendering
from prefixlab.impl.render import graph as layout_graph
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.fs import Layout
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.outcome import Outcome
from prefixlab.model.world import World
from prefixlab.model.startup.predict import predict
from prefixlab.model.strategies.startup import Case, Target, cases, stdlib_skeleton
from prefixlab.model.startup.getpath import searchpath
from prefixlab.model.trace import RULES, Rule, Step, Trace

VERSIONS = [(3, 8, 18), (3, 9, 18), (3, 10, 13), (3, 11, 7), (3, 12, 1), (3, 13, 0)]


def short(version: tuple[int, int, int]) -> str:
    return "%d.%d" % version[:2]


def base_install(version: tuple[int, int, int], prefix: str = "/opt/py") -> Layout:
    x_y = short(version)
    nodes = stdlib_skeleton(f"{prefix}/lib/python{x_y}")
    layout = Layout(nodes).with_file(f"{prefix}/bin/python{x_y}", b"\x7fELF", 0o755)
    return layout


def world(layout: Layout, version: tuple[int, int, int], prefix: str = "/opt/py") -> World:
    build = BuildConstants(version=version, prefix=prefix, exec_prefix=prefix)
    return World(layout, {f"{prefix}/bin/python{short(version)}": build})


def venv_case(version: tuple[int, int, int], *args: str) -> tuple[Outcome, Layout]:
    """/venv/bin/python -> /opt/py/bin/python3.X, pyvenv.cfg home = /opt/py/bin."""
    x_y = short(version)
    layout = (base_install(version)
              .with_link("/venv/bin/python", f"/opt/py/bin/python{x_y}")
              .with_file("/venv/pyvenv.cfg", b"home = /opt/py/bin\ninclude-system-site-packages"
                         b" = false\n")
              .with_dir("/work"))
    invocation = Invocation.make("/venv/bin/python", args or ("-S", "-c", "pass"),
                                 env={"PATH": "/usr/bin:/bin"}, cwd="/work")
    return predict(world(layout, version), invocation), layout


# -- prose ---------------------------------------------------------------------------------------
def test_venv_from_a_symlinked_interpreter_reads_as_a_story() -> None:
    outcome, layout = venv_case((3, 12, 1))
    assert outcome.status == "ok" and outcome.prefix == "/opt/py"
    text = rendering.render_plain(narrate.explain(outcome, layout, graph=True))
    steps = text.split("What happens, step by step:")[1].split("Result (predicted):")[0]
    # What was run, and the link the kernel followed to the binary.
    assert "You ran `/venv/bin/python`" in steps
    assert "`/venv/bin/python` → `/opt/py/bin/python3.12`" in steps
    assert "CPython 3.12.1 binary" in steps and "3.12 row of the behaviour table" in steps
    # sys.executable keeps the link; the venv and its home.
    assert "sys.executable names the link" in steps
    assert "It finds `/venv/pyvenv.cfg`" in steps
    assert "home key says `/opt/py/bin`" in steps
    # Where the search starts and why, which landmark was found where.
    assert "walks up from `/opt/py/bin` (pyvenv.cfg's home)" in steps
    assert "`/opt/py/lib/python3.12/os.py`" in steps
    assert "So sys.prefix is `/opt/py`" in steps
    assert "sys._base_executable is where the executable's chain of symbolic links ends" in steps
    # Why sys.prefix is not the venv.
    assert "It is the base installation, not the venv `/venv`" in text
    # Every step names its rule, the row and the source.
    assert "rule venv.home-key · row 3.12 (this behaviour differs between rows) · source: " \
           "getpath.py 'home' key" in steps
    assert "rule prefix.os-landmark · row 3.12 · source: getpath.py search_up" in steps
    numbered = re.findall(r"^ ?(\d+)\. ", steps, re.M)
    assert [int(n) for n in numbered] == list(range(1, len(outcome.trace.steps) + 1))
    assert steps.count("[rule ") == len(outcome.trace.steps)


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: short(v))
def test_every_step_names_its_rule_row_and_source(version: tuple[int, int, int]) -> None:
    outcome, layout = venv_case(version)
    explanation = narrate.explain(outcome, layout)
    row = outcome.trace.row
    assert row == short(version) or row.startswith(short(version))
    for step, item in zip(outcome.trace.steps, explanation.items, strict=True):
        assert item.rule == step.rule
        assert item.citation.startswith(f"rule {step.rule.id} · row {row}")
        assert RULES[step.rule.id].source in item.citation
        assert rendering.CODE not in rendering.plain(item.text)
    assert "sys.prefix is `/opt/py`" in rendering.plain(" ".join(explanation.summary))


def test_the_c_arrangement_is_told_as_such() -> None:
    outcome, layout = venv_case((3, 10, 13))
    text = rendering.render_plain(narrate.explain(outcome, layout))
    assert "getpath.c follows it to `/opt/py/bin/python3.10` before anything else" in text
    assert "cut off: `/opt/py`" in text


def test_a_home_of_links_falls_back_to_the_compiled_prefix() -> None:
    """gh-106045: a venv made through a public link records that link's directory as home;
    3.11+ search from there, find nothing, and use the compiled-in PREFIX."""
    layout = (base_install((3, 12, 1))
              .with_link("/pub/python3", "/opt/py/bin/python3.12")
              .with_link("/venv/bin/python3", "/pub/python3")
              .with_file("/venv/pyvenv.cfg", b"home = /pub\n"))
    invocation = Invocation.make("/venv/bin/python3", ["-S"], env={"PATH": "/bin"})
    outcome = predict(world(layout, (3, 12, 1)), invocation)
    text = rendering.render_plain(narrate.explain(outcome, layout))
    assert outcome.prefix == "/opt/py"
    assert "`/venv/bin/python3` → `/pub/python3`; `/pub/python3` → `/opt/py/bin/python3.12`" \
        in text
    assert "no directory holds the standard library's landmark: `/pub` was tested" in text
    assert "falls back to the PREFIX compiled into the binary: `/opt/py`" in text
    assert "The search started at pyvenv.cfg's home `/pub`" in text
    assert "because no directory above `/pub` (pyvenv.cfg's home) holds the standard " \
           "library" in text
    # Compiled for elsewhere: the warning, then no stdlib at all.
    elsewhere = BuildConstants(version=(3, 12, 1), prefix="/usr/local", exec_prefix="/usr/local")
    failed = predict(World(layout, {"/opt/py/bin/python3.12": elsewhere}), invocation)
    text = rendering.render_plain(narrate.explain(failed, layout))
    assert failed.status == "startup-failed"
    assert "hence the warning 'Could not find platform independent libraries <prefix>'" in text
    assert "no running interpreter (startup-failed, stdlib-not-found)" in text


def test_without_dash_s_site_makes_the_venv_the_prefix_and_adds_its_site_packages() -> None:
    outcome, layout = venv_case((3, 12, 1), "-c", "pass")
    text = rendering.render_plain(narrate.explain(outcome, layout))
    assert outcome.prefix == "/venv" and outcome.base_prefix == "/opt/py"
    assert "It finds `/venv/pyvenv.cfg` and makes sys.prefix and sys.exec_prefix the " \
           "executable directory's parent, `/venv`; sys.base_prefix stays `/opt/py`" in text
    assert "rule site.venv · row 3.12" in text
    assert "rule site.system-site" in text and "rule site.site-packages" in text
    assert "In short: sys.prefix is `/venv` because site.py's venv() found a pyvenv.cfg" in text
    assert "It is the base installation" not in text


def test_failures_are_explained() -> None:
    outcome, layout = venv_case((3, 12, 1))
    missing = predict(world(layout, (3, 12, 1)), Invocation.make("/nowhere/python", ["-S"]))
    text = rendering.render_plain(narrate.explain(missing, layout))
    assert "cannot execute `/nowhere/python`: there is no such file" in text
    assert "no row (the interpreter never started)" in text
    # the exec chain is followed: #!/bin/sh leads to sh, whose script is not
    # modelled, and the explanation names its first line
    script = (layout.with_file("/bin/sh", b"\x7fELF", 0o755)
              .with_file("/bin/shim", b"#!/bin/sh\nexec python3 \"$@\"\n", 0o755))
    shim = predict(world(script, (3, 12, 1)), Invocation.make("/bin/shim", ["-S"]))
    text = rendering.render_plain(narrate.explain(shim, script))
    assert "#!/bin/sh" in text and "not-modelled" in text
    assert 'first line not understood: \'exec python3 "$@"\'' in text


def test_steps_without_prose_fall_back_to_the_summary_and_detail() -> None:
    """A rule without a narrator, and a step its narrator leaves alone (a value never set),
    are told by the rule's summary and the step's detail."""
    outcome, layout = venv_case((3, 12, 1))
    untold = Rule("no.narrator", "test", "A rule nobody narrates.", "here")
    unset = Step.of(searchpath.R_STDLIB_ENTRY, "{stdlib_dir!r}, {platstdlib_dir!r}",
                    stdlib_dir=None, platstdlib_dir="/x")
    odd = Trace((Step.of(untold, "saw {what!r}", what="x"), unset), row="3.12")
    text = rendering.render_plain(narrate.explain(Outcome("ok", outcome.invocation, trace=odd)))
    assert "A rule nobody narrates. Here: `saw 'x'`." in text
    assert "rule no.narrator · row 3.12 · source: here" in text
    assert searchpath.R_STDLIB_ENTRY.summary + " Here: `None, '/x'`." in text


def test_rich_rendering_keeps_the_rules() -> None:
    outcome, layout = venv_case((3, 12, 1))
    console = Console(record=True, width=100, color_system=None)
    rendering.render_rich(narrate.explain(outcome, layout, graph=True), console)
    text = console.export_text()
    assert "rule prefix.os-landmark" in text and "```mermaid" in text
    assert "/opt/py/lib/python3.12/os.py" in text


def test_undecodable_bytes_are_shown_escaped() -> None:
    odd = "/opt/p\udcffy"
    assert rendering.show(odd) == "/opt/p\\xffy"
    outcome, layout = venv_case((3, 12, 1))
    text = rendering.render_plain(narrate.explain(Outcome(
        "exec-failed", Invocation.make(odd + "/python", ["-S"]))))
    text.encode("utf-8")  # printable whatever the locale's strictness


def generated(case: Case, version: tuple[int, int, int]) -> tuple[Outcome, Layout]:
    bound = case.at("/r")
    build = BuildConstants(version=version, prefix="/usr/local", exec_prefix="/usr/local")
    outcome = predict(World(bound.layout, {b: build for b in bound.binaries}),
                      bound.invocation)
    return outcome, bound.layout


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(Target((3, 12, 1))))
def test_every_generated_trace_renders(case: Case) -> None:
    outcome, layout = generated(case, (3, 12, 1))
    explanation = narrate.explain(outcome, layout, graph=True)
    assert len(explanation.items) == len(outcome.trace.steps)
    text = rendering.render_plain(explanation)
    for step in outcome.trace.steps:
        assert f"rule {step.rule.id} · " in text
    if explanation.mermaid is not None:
        check_mermaid(explanation.mermaid)


def left_to_the_summary(step: Step) -> bool:
    """The one step a narrator leaves alone: a stdlib entry that was never set (None)."""
    return step.rule == searchpath.R_STDLIB_ENTRY and None in step.values.values()


@pytest.mark.parametrize("version", [(3, 8, 18), (3, 10, 13), (3, 11, 0), (3, 12, 1),
                                     (3, 14, 0)], ids=short)
def test_narrators_read_only_values_their_steps_record(version: tuple[int, int, int]) -> None:
    """Every step of generated cases, both getpath arrangements, is told by its narrator
    without falling back: a narrator asking for a value its step does not record raises
    KeyError here (explain would fail the same way)."""
    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cases(Target(version)))
    def check(case: Case) -> None:
        outcome, layout = generated(case, version)
        ctx = narrate.context(outcome, layout)
        for step in outcome.trace.steps:
            narrator = narrators.NARRATORS.get(step.rule)
            if narrator is not None:
                said = narrator(step, ctx)
                assert said is not None or left_to_the_summary(step), step

    check()


def test_narrators_are_keyed_by_registered_rules() -> None:
    for rule in narrators.NARRATORS:
        assert RULES[rule.id] is rule


# -- the graph -----------------------------------------------------------------------------------
NODE = re.compile(r'^  ([nm]\d+)\["([^"]*)"\]$')
EDGE = re.compile(r"^  (n\d+) --> (n\d+)$")
GROUP = re.compile(r"^  (n\d+) -\.- (m\d+)$")
LINK = re.compile(r'^  (n\d+) -\.->\|"([^"]*)"\| (n\d+)$')
STYLE = re.compile(r"^  classDef \w+ [\w#:,.\- ]+$|^  class [nm]\d+(,[nm]\d+)* \w+$")


def check_mermaid(text: str) -> dict[str, str]:
    """Well-formed as far as prefixlab writes Mermaid: a flowchart header, then node
    definitions, edges between defined nodes and class lines; labels without raw quotes.
    Returns each node's full path, rebuilt from the labels along the containment edges."""
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart LR"
    labels: dict[str, str] = {}
    parent: dict[str, str] = {}
    for line in lines[1:]:
        if match := NODE.match(line):
            assert match[1] not in labels, line
            labels[match[1]] = match[2]
        elif match := EDGE.match(line) or GROUP.match(line):
            assert match[1] in labels and match[2] in labels, line
            parent[match[2]] = match[1]
        elif match := LINK.match(line):
            assert match[1] in labels and match[3] in labels, line
        else:
            assert STYLE.match(line), line

    def full(node: str) -> str:
        name = labels[node].split("<br/>")[0]
        if node in parent and not name.startswith("/"):
            return full(parent[node]).rstrip("/") + "/" + name
        return name

    return {node: full(node) for node in labels}


def test_mermaid_is_well_formed_and_holds_the_landmark() -> None:
    outcome, layout = venv_case((3, 12, 1))
    text = footprint.mermaid(outcome, layout)
    paths = check_mermaid(text)
    found = [n for n, p in paths.items() if p == "/opt/py/lib/python3.12/os.py"]
    assert found, paths
    assert "landmark found" in text and "pyvenv.cfg<br/>read" in text
    assert '-.->|"→ /opt/py/bin/python3.12"|' in text
    assert any(p == "/opt/py" for p in paths.values())
    assert "sys.prefix" in text


def test_mermaid_escapes_what_would_break_a_label() -> None:
    graph = layout_graph.layout_graph(
        Layout().with_file('/a "b" #c|d/e', b"").with_file("/x\udcff/y", b"")
        .with_file("/n\nsymbolic link/f", b""),
        ['/a "b" #c|d/e', "/x\udcff/y", "/missing[1]", "/n\nsymbolic link/f"])
    text = layout_graph.to_mermaid(graph)
    check_mermaid(text)
    assert "#34;b#34;" in text and "#35;c#124;d" in text
    # Names as text output shows them (README: an undecodable byte as \xff, a newline as
    # \n), the backslash then written as Mermaid's entity #92;: no line break forges a note.
    assert "x#92;xff" in text and "n#92;nsymbolic link" in text


def test_graph_finds_link_cycles_loops_and_aliases() -> None:
    layout = (Layout()
              .with_file("/opt/py/bin/python3", b"", 0o755)
              .with_link("/pub/bin", "/opt/py/bin")
              .with_link("/venv/bin/python", "/pub/bin/python3")
              .with_link("/loop/a", "b").with_link("/loop/b", "a")
              .with_link("/tree/sub/up", "/tree"))
    graph = layout_graph.graph_of_layout(layout)
    assert layout_graph.cycles(graph, links_only=True) == [["/loop/a", "/loop/b"]]
    assert ["/tree", "/tree/sub", "/tree/sub/up"] in layout_graph.cycles(graph)
    assert layout_graph.aliases(graph, "/opt/py/bin/python3") == [
        "/pub/bin/python3", "/venv/bin/python"]
    assert layout_graph.link_chain(graph, "/venv/bin/python") == [
        "/venv/bin/python", "/opt/py/bin/python3"]
    assert layout_graph.node_kind(graph, "/loop/a") == "link"
    assert isinstance(graph, nx.DiGraph)


def test_graph_of_probed_paths_hangs_misses_on_real_directories() -> None:
    layout = base_install((3, 12, 1)).with_link("/venv/lib", "/opt/py/lib")
    graph = layout_graph.layout_graph(layout, ["/venv/lib/python3.12/nope.py", "/gone/x"])
    assert layout_graph.node_kind(graph, "/opt/py/lib/python3.12/nope.py") == "missing"
    assert graph.has_edge("/venv/lib", "/opt/py/lib")
    assert layout_graph.node_kind(graph, "/gone/x") == "missing"


def test_pythonhome_is_believed_and_ignored_under_isolation() -> None:
    outcome, layout = venv_case((3, 12, 1))
    base = world(layout, (3, 12, 1))
    env = {"PYTHONHOME": "/nowhere", "PATH": "/bin"}
    believed = predict(base, Invocation.make("/opt/py/bin/python3.12", ["-S"], env=env))
    text = rendering.render_plain(narrate.explain(believed, layout))
    assert "PYTHONHOME is set to `/nowhere`" in text
    assert "With home set, there is no search: sys.prefix is `/nowhere`" in text
    assert "None of those entries holds it, so start-up fails" in text
    isolated = predict(base, Invocation.make("/opt/py/bin/python3.12", ["-I"], env=env))
    text = rendering.render_plain(narrate.explain(isolated, layout))
    assert "but -E or -I tells the interpreter to ignore PYTHON* variables" in text
    assert "Nothing is put in front of sys.path (-P, -I or PYTHONSAFEPATH is in effect)" in text
