"""The environment spec's pure checks (model/builders/envspec.py) on hand-written observations, and the
generated package sets (model/strategies/packages.py).

Expected verdicts come from the documents the properties cite: what nixpkgs' issues and pull
requests report the environments printing (#66366, #88711, #297628, #302315) and PEP 405;
never from running our checker.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from prefixlab.model.builders import envspec
from prefixlab.model.strategies.packages import (PYTHON, ROOT, INSTALLER_BODY, PRETALX_BODY,
                                                   instrument, minimal_set, package_sets,
                                                   trampoline)
from prefixlab.model.world.fs import File, Symlink
from prefixlab.model.scripts.nixwrap import NixWrap, wrap_python_programs
from prefixlab.model.builders.envspec import (EnvDescription, EnvObservation, Report, Run,
                                      ScriptExpectation, VenvObservation)

ENV = "/e/env"
STORE = "/e/env/.store/python3-3.12.1"
SITE = f"{ENV}/lib/python3.12/site-packages"


def report(prefix: str, base: str, *, imports: tuple[tuple[str, str], ...] = (),
           path: tuple[str, ...] = (), flags: tuple[tuple[str, int], ...] = (),
           executable: str = f"{ENV}/bin/python3.12", doc: str | None = None) -> Report:
    return Report(executable, prefix, base, prefix, base, path, imports, flags, doc)


def by_id(verdicts: list[envspec.Verdict]) -> dict[str, envspec.Verdict]:
    return {v.property: v for v in verdicts}


# -- the property table ---------------------------------------------------------------------------
def test_property_ids_are_unique_and_documented() -> None:
    ids = [p.id for p in envspec.PROPERTIES]
    assert len(ids) == len(set(ids))
    for prop in envspec.PROPERTIES:
        assert prop.statement.endswith(".") and prop.source
        assert prop.id.split(".")[0] in ("env", "venv-from-env", "pep405")


def test_every_known_failure_names_existing_properties_and_an_id() -> None:
    for known in envspec.KNOWN_FAILURES:
        assert known.properties <= set(envspec.BY_ID), known
        assert known.id.startswith("F-"), known
        assert known.flavour in envspec.FLAVOURS
    # every historical flavour has at least one known failure (prefixlab's F-a, F-b, F-d ids)
    assert {k.flavour for k in envspec.KNOWN_FAILURES} == set(envspec.FLAVOURS)


def test_expected_failures_compose_case_and_baseline() -> None:
    # #297628 with a fixed argv[0]: the pretalx script (F-b1) on top of inert venvs (F-b7)
    assert envspec.expected_failures("nix-297628/fixed", "pretalx-script", venvs=False,
                                      link=False) == {"env.scripts.intact"}
    with_venvs = envspec.expected_failures("nix-297628/fixed", "pretalx-script", venvs=True,
                                            link=False)
    assert {"env.scripts.intact", "venv-from-env.system-site",
            "venv-from-env.isolated"} <= with_venvs
    # inherited argv[0]: venvs from the env work (the aim of #297628's commit message and of
    # #442540; F-b8, which inherits F-d1..F-d7, needs odd invocations)
    assert envspec.expected_failures("nix-297628/inherit", "plain-set", venvs=True,
                                      link=True) == frozenset()
    # through a link: classic always fails (F-a1); fixed argv[0] reports ENV, not the link
    assert envspec.through_link_failures("nix-classic")
    assert envspec.through_link_failures("nix-297628/fixed", "as-reached")
    assert not envspec.through_link_failures("nix-297628/fixed", "resolved")
    assert envspec.through_link_failures("nix-297628/inherit", "resolved")  # F-d4


# -- env properties on what nixpkgs' issues and pull requests report -------------------------------
def test_classic_interpreter_looks_like_a_venv() -> None:
    # classic (nixpkgs #66366): sys.prefix is the env, sys.base_prefix the store python
    run = Run(f"{ENV}/bin/python3.12", 0, report(ENV, STORE, imports=(("requests", ""),)))
    desc = EnvDescription(ENV, modules=("requests",))
    verdicts = by_id(envspec.check_env(desc, EnvObservation(entries=(run,))))
    assert not verdicts["env.prefix"].ok
    assert STORE in verdicts["env.prefix"].reason
    assert verdicts["env.imports"].ok and verdicts["env.executable"].ok


def test_reference_like_interpreter_passes() -> None:
    runs = (Run(f"{ENV}/bin/python3", 0, report(ENV, ENV, imports=(("a", ""), ("b.c", "")))),
            Run("python3 on PATH", 0, report(ENV, ENV, imports=(("a", ""), ("b.c", "")))))
    desc = EnvDescription(ENV, modules=("a", "b.c"))
    assert envspec.failed(envspec.check_env(desc, EnvObservation(entries=runs))) == set()


def test_a_crashed_entry_fails_with_its_error() -> None:
    run = Run(f"{ENV}/bin/python", 1, None, error="ModuleNotFoundError: No module named 'encodings'")
    verdict = envspec.check_prefix([run], ENV)
    assert not verdict.ok and "encodings" in verdict.reason


def test_executable_outside_the_env() -> None:
    run = Run("x", 0, report(ENV, ENV, executable="/usr/bin/python3"))
    assert not envspec.check_executable([run], ENV).ok


def _script(**fields: object) -> ScriptExpectation:
    base = dict(name="foo", tag="p0.foo", marks=2, python=True, doc=None, futures=())
    base.update(fields)
    return ScriptExpectation(**base)  # type: ignore[arg-type]


def _scripts_verdicts(script: ScriptExpectation, run: Run, modules: tuple[str, ...] = ()
                      ) -> dict[str, envspec.Verdict]:
    desc = EnvDescription(ENV, modules=modules, scripts=(script,))
    return by_id(envspec.check_env(desc, EnvObservation(scripts=((script.name, run),))))


def test_pretalx_like_deletion_fails_intact() -> None:
    # #297628's sed deleted pretalx's `import os` (#302315): NameError, or a line skipped
    run = Run("foo", 0, report(ENV, ENV), marks=(2,))
    verdicts = _scripts_verdicts(_script(), run)
    assert not verdicts["env.scripts.intact"].ok
    assert verdicts["env.scripts.interpreter"].ok
    crashed = Run("foo", 1, None, error="NameError: name 'os' is not defined")
    verdicts = _scripts_verdicts(_script(), crashed)
    assert not verdicts["env.scripts.intact"].ok and "NameError" in \
        verdicts["env.scripts.intact"].reason


def test_docstring_and_futures_are_part_of_the_code() -> None:
    run = Run("foo", 0, report(ENV, ENV, doc="other"), marks=(1, 2))
    assert not _scripts_verdicts(_script(doc="mine"), run)["env.scripts.intact"].ok
    run = Run("foo", 0, report(ENV, ENV, doc="mine"), marks=(1, 2))
    assert _scripts_verdicts(_script(doc="mine"), run)["env.scripts.intact"].ok


def test_classic_console_script_looks_like_a_venv() -> None:
    # classic console script: the NIX_* wrapper and sitecustomize.py, as the interpreter (#66366)
    run = Run("foo", 0, report(ENV, STORE, imports=(("a", ""),)), marks=(1, 2))
    verdicts = _scripts_verdicts(_script(), run, ("a",))
    assert not verdicts["env.scripts.interpreter"].ok
    assert verdicts["env.scripts.packages"].ok and verdicts["env.scripts.intact"].ok


def test_dropped_shebang_option_and_lost_wrapper_variable() -> None:
    # F-b5 (#! -O dropped) and F-b4 (the package wrapper's --set lost)
    script = _script(options=("O",), wrapper_env=(("FOO_VAR", "x"),))
    run = Run("foo", 0, report(ENV, ENV, flags=(("optimize", 0),)), marks=(1, 2))
    verdicts = _scripts_verdicts(script, run)
    assert not verdicts["env.scripts.options"].ok
    assert not verdicts["env.scripts.wrapper-env"].ok
    kept = Run("foo", 0, report(ENV, ENV, flags=(("optimize", 1),)), marks=(1, 2),
               environ=(("FOO_VAR", "x"),))
    verdicts = _scripts_verdicts(script, kept)
    assert verdicts["env.scripts.options"].ok and verdicts["env.scripts.wrapper-env"].ok


def test_through_link_follows_the_documented_choice() -> None:
    link = "/e/link"
    as_reached = Run(f"{link}/bin/python3", 0, report(link, link))
    desc = EnvDescription(ENV, real_path=ENV, through_link="as-reached")
    obs = EnvObservation(through_link=(as_reached,), link=link)
    assert envspec.check_through_link(desc, obs).ok
    resolved = EnvDescription(ENV, real_path=ENV, through_link="resolved")
    assert not envspec.check_through_link(resolved, obs).ok


# -- venvs -----------------------------------------------------------------------------------------
V = "/e/v"
V_SITE = f"{V}/lib/python3.12/site-packages"


def venv(system_site: bool, rep: Report | None, cfg_home: str = f"{ENV}/bin") -> VenvObservation:
    return VenvObservation(V, ENV, system_site, Run("make", 0),
                           (("home", cfg_home), ("include-system-site-packages",
                                                 str(system_site).lower())),
                           True, Run(f"{V}/bin/python", 0, rep), "own", ("a",), V_SITE,
                           (SITE,))


def test_conforming_venvs_from_an_env() -> None:
    system = report(V, ENV, path=(V_SITE, SITE), imports=(("own", ""), ("a", "")))
    isolated = report(V, ENV, path=(V_SITE,), imports=(("own", ""), ("a", "No module named 'a'")))
    verdicts = envspec.check_venvs([venv(True, system), venv(False, isolated)])
    assert all(v.ok for v in verdicts), verdicts
    assert {v.property for v in verdicts} == {
        "pep405.marker", "pep405.prefixes", "pep405.site-packages", "pep405.isolation",
        "venv-from-env.system-site", "venv-from-env.isolated"}


def test_inert_venv_of_a_classic_env() -> None:
    # F-a2 (nixpkgs #88711, #297628's description): the venv is inert, its prefix the env
    inert = report(ENV, STORE, path=(f"{STORE}/lib/python3.12/site-packages", SITE),
                   imports=(("own", "No module named 'own'"), ("a", "")))
    failed = envspec.failed(envspec.check_venvs([venv(True, inert), venv(False, inert)]))
    assert failed == {"pep405.prefixes", "pep405.site-packages", "pep405.isolation",
                      "venv-from-env.system-site", "venv-from-env.isolated"}


def test_isolated_venv_that_sees_the_base() -> None:
    leaky = report(V, ENV, path=(V_SITE, SITE), imports=(("own", ""), ("a", "")))
    problems = envspec.venv_problems(venv(False, leaky))
    assert set(problems) == {"pep405.isolation", "venv-from-env.isolated"}


def test_system_site_before_the_venvs_own() -> None:
    wrong_order = report(V, ENV, path=(SITE, V_SITE), imports=(("own", ""), ("a", "")))
    assert "pep405.site-packages" in envspec.venv_problems(venv(True, wrong_order))


def test_missing_or_homeless_pyvenv_cfg() -> None:
    rep = report(V, ENV, path=(V_SITE,), imports=(("own", ""), ("a", "x")))
    missing = VenvObservation(V, ENV, False, Run("make", 0), (), False,
                              Run("p", 0, rep), "own", ("a",), V_SITE, (SITE,))
    assert "pep405.marker" in envspec.venv_problems(missing)
    homeless = VenvObservation(V, ENV, False, Run("make", 0), (("version", "3.12.1"),), False,
                               Run("p", 0, rep), "own", ("a",), V_SITE, (SITE,))
    assert "pep405.marker" in envspec.venv_problems(homeless)


# -- scripts: shape, probe, markers ---------------------------------------------------------------
def test_script_shape() -> None:
    source = (b"#!/usr/bin/python3\n\"\"\"doc\"\"\"\nfrom __future__ import annotations, "
              b"division\n# comment\nimport os\nx = 1\n")
    shape = envspec.script_shape(source)
    assert shape.doc == "doc"
    assert shape.futures == ("annotations", "division")
    assert shape.first_statement == 4  # 0-based: 'import os'


def test_parse_output() -> None:
    tag = "p0.foo"
    out = "\n".join([f"{envspec.MARK} {tag} 1", f"{envspec.MARK} other 7",
                     f'{envspec.REPORT} {{"executable": "/x", "prefix": "/p", '
                     '"base_prefix": "/p", "exec_prefix": "/p", "base_exec_prefix": "/p", '
                     '"path": ["/s"], "imports": [["a", ""]], "flags": [["optimize", 1]], '
                     '"doc": null, "futures": ["division"], "environ": [["V", "1"]]}',
                     f"{envspec.ENVIRON} W=a b", f"{envspec.MARK} {tag} 2"])
    marks, rep, environ = envspec.parse_output(out, tag)
    assert marks == (1, 2)
    assert rep is not None and rep.prefix == "/p" and rep.futures == ("division",)
    assert environ == (("V", "1"), ("W", "a b"))


def test_the_pretalx_marker_is_the_line_297628_deletes() -> None:
    # nixpkgs puts the preamble on line 2 of pretalx's manage.py shape, and #297628's
    # `sed -e 1d -e 3d` then deletes line 3: the original line 2, here the first marker
    made = instrument(b"#!/usr/bin/python3\n" + PRETALX_BODY, "t", (), ())
    assert made is not None
    wrapped = wrap_python_programs(made.text, NixWrap(executable="/usr/bin/python3"))
    assert wrapped is not None and wrapped.preamble_line == 1
    line3 = wrapped.text.split(b"\n")[2]
    assert line3 == envspec.mark_line("t", 1).encode()
    # installer's console script: the preamble on line 3, which is what 3d was meant for
    made = instrument(b"#!/usr/bin/python3\n" + INSTALLER_BODY, "t", (), ())
    assert made is not None
    wrapped = wrap_python_programs(made.text, NixWrap(executable="/usr/bin/python3"))
    assert wrapped is not None and wrapped.preamble_line == 2


def test_trampoline_forms() -> None:
    # pypa/installer uses shlex.quote: a path without blanks stays unquoted
    assert trampoline("/a/python3") == b"#!/bin/sh\n'''exec' /a/python3 \"$0\" \"$@\"\n' '''\n"
    assert trampoline("/a b/python3") == \
        b"#!/bin/sh\n'''exec' '/a b/python3' \"$0\" \"$@\"\n' '''\n"
    assert trampoline("/a/python3", quote=True).splitlines()[1] == \
        b"'''exec' '/a/python3' \"$0\" \"$@\""


# -- generated sets ---------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.sampled_from([(3, 8), (3, 12), (3, 13)]).flatmap(
    lambda v: st.tuples(st.just(v), package_sets(v))))
def test_generated_sets_bind_and_compile(case: tuple[tuple[int, int], object]) -> None:
    version, packages = case
    bound = packages.bind("/r/pkgs", "/opt/py/bin/python3.12")  # type: ignore[attr-defined]
    assert len(set(bound.modules)) == len(bound.modules)
    names = [s.name for s in bound.scripts]
    assert len(set(names)) == len(names)
    for path, node in bound.layout.items():
        assert "@prefixlab" not in path
        if isinstance(node, File):
            assert b"@prefixlab" not in node.data, path
            if path.endswith("-wrapped") or "/bin/" in path:
                if node.data.startswith(b"#!/opt/py") or node.data.startswith(b"#!/bin/sh\n'''"):
                    compile(node.data, path, "exec", dont_inherit=True)
        elif isinstance(node, Symlink):
            assert "@prefixlab" not in node.target
    for wrapper in bound.wrappers:
        assert "@prefixlab" not in wrapper.original + "".join(wrapper.flags)
    for script in bound.scripts:
        assert script.marks == 2 and (script.doc is None or "@prefixlab" not in script.doc)
    site = f"lib/python{version[0]}.{version[1]}/site-packages"
    for package in packages.packages:  # type: ignore[attr-defined]
        assert any(rel.startswith(site) for rel, _ in package.nodes)


def test_minimal_sets() -> None:
    for case in ("plain-set", "pretalx-script", "shell-tool", "flagged-script", "wrapper-var",
                 "bare-script", "double-wrap", "installer-trampoline",
                 "linked-binary-wrapper"):
        packages = minimal_set(case, (3, 12))  # type: ignore[arg-type]
        kinds = [s.kind for p in packages.packages for s in p.scripts]
        assert kinds[0] == "nix-wrapped"
        assert len(kinds) == {"plain-set": 1, "linked-binary-wrapper": 3}.get(case, 2)
        bound = packages.bind(ROOT, PYTHON)
        assert "google.p0" in bound.modules and "google.p1" in bound.modules


def test_compiled_docstrings_match_313s_compiler() -> None:
    """compiled_doc_313 against what 3.13+ interpreters here compile (gh-81283), on generated
    docstrings of spaces, tabs and text."""
    import json
    import random
    import subprocess

    from conftest import in_scope_interpreters, require_oracle

    newer = [i for i in in_scope_interpreters() if i.version and i.version >= (3, 13)]
    require_oracle(bool(newer), "no CPython 3.13+ here to compile docstrings")
    rng = random.Random(5)
    docs = ["\n".join("".join(rng.choice(" \ta") for _ in range(rng.randint(0, 6)))
                      for _ in range(rng.randint(1, 5))) for _ in range(500)]
    code = ("import json, sys\nout = []\nfor d in json.load(sys.stdin):\n    ns = {}\n"
            "    exec(compile(repr(d) + '\\n', 'x', 'exec'), ns)\n"
            "    out.append(ns.get('__doc__'))\nprint(json.dumps(out))")
    for interp in newer:
        got = json.loads(subprocess.run([interp.path, "-c", code], input=json.dumps(docs),
                                        capture_output=True, text=True, check=True).stdout)
        assert [envspec.compiled_doc_313(d) for d in docs] == got, interp.path
