"""case: a conformance case and its case file.

Properties: the case file's object (``to_file``, the documented format: header, id, the keys
of ``case_json``, the report) read back by ``from_json`` (and through JSON text by ``loads``)
is the case it was written from; ``Case.id`` depends on the case alone.  Bad input, each kind
the module docstring's format rules out, is a :class:`CaseFileError` of one line naming the
source.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prefixlab.model.conform.case import (
    FORMAT, FORMAT_VERSION, Builder, Case, CaseFileError, case_json, from_json, loads, to_file)
from prefixlab.model.conform.placement import (
    PLACEMENTS, WRAPPER_KINDS, Base, BuildEnv, BuildVenv, CopyFile, Link, LinkEntries, MakeDir,
    Placement, Wrap, WriteText)
from prefixlab.model.errors import BadInput
from prefixlab.model.strategies.placements import placements

TEXT = st.text(max_size=12)
PATHS = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
                | st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF), max_size=20)
"""Names as os.fsdecode gives them: any character but NUL, undecodable bytes as the
surrogates U+DC80..U+DCFF (PEP 383)."""
VERSIONS = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 300))

BUILDERS = st.builds(Builder, TEXT, TEXT, st.sampled_from(["venv", "env"]))
BASES = st.builds(Base, PATHS, PATHS, VERSIONS, st.none() | TEXT, st.none() | PATHS,
                  st.sampled_from(["lib", "lib64"]) | TEXT)
OPS = st.one_of(
    st.builds(MakeDir, PATHS), st.builds(Link, PATHS, PATHS),
    st.builds(WriteText, PATHS, TEXT, st.booleans()), st.builds(CopyFile, PATHS, PATHS),
    st.builds(LinkEntries, PATHS, PATHS), st.builds(Wrap, PATHS, st.sampled_from(WRAPPER_KINDS),
                                                     PATHS),
    st.builds(BuildVenv, PATHS, PATHS), st.builds(BuildEnv, PATHS, TEXT, PATHS))
ANY_PLACEMENTS = st.builds(
    Placement, st.lists(st.sampled_from(PLACEMENTS), max_size=3).map(tuple),
    st.lists(OPS, max_size=5).map(tuple), PATHS, PATHS, st.lists(PATHS, max_size=2).map(tuple),
    st.lists(st.tuples(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True), TEXT),
             max_size=2).map(tuple),
    st.lists(PATHS, max_size=2).map(tuple), st.none() | PATHS)


@st.composite
def drawn_cases(draw: st.DrawFn) -> Case:
    """A case as conform makes it (a placement drawn for its base) or one of arbitrary
    values."""
    base = draw(BASES)
    if draw(st.booleans()):
        # a placement is drawn for a base with a real path (as bases.py finds them)
        base = replace(base, executable="/usr/bin/" + base.executable)
        placement = draw(placements(base))
    else:
        placement = draw(ANY_PLACEMENTS)
    return Case(draw(BUILDERS), base, placement, draw(st.booleans()))


@settings(max_examples=300, deadline=None)
@given(drawn_cases(), st.dictionaries(st.sampled_from(["failures", "expected", "observed",
                                                       "reproducer"]), TEXT))
def test_a_case_file_reads_back_as_its_case(case: Case, report: dict[str, Any]) -> None:
    data = to_file(case, "0.1.0", report)
    assert data["format"] == FORMAT and data["version"] == FORMAT_VERSION
    assert data["id"] == case.id
    assert from_json(data) == case
    text = json.dumps(data, ensure_ascii=False, indent=1)
    assert loads(text, "case.json") == case
    assert loads(json.dumps(data), "case.json") == case  # \u escapes


@settings(max_examples=200, deadline=None)
@given(drawn_cases())
def test_case_json_is_what_defines_the_case(case: Case) -> None:
    """case_json holds only the defining keys (no header, id or report); with the header it
    is a case file."""
    data = case_json(case)
    assert set(data) == {"builder", "interpreter", "placement", "system_site"}
    assert from_json({"format": FORMAT, "version": FORMAT_VERSION, **data}) == case


@settings(max_examples=300, deadline=None)
@given(drawn_cases(), drawn_cases())
def test_the_id_is_the_case_s_alone(one: Case, other: Case) -> None:
    again = from_json(json.loads(json.dumps(to_file(one, "9.9", {"note": "x"}))))
    assert again.id == one.id
    assert len(one.id) == 12 and all(c in "0123456789abcdef" for c in one.id)
    assert (one.id == other.id) == (one == other)


def test_the_id_does_not_depend_on_the_report_or_the_prefixlab_version() -> None:
    base = Base("/usr/bin/python3.11", "/usr", (3, 11, 2))
    case = Case(Builder("venv", "{python} -m venv {target}"), base,
                Placement(("direct",), (), base.executable, "venv"))
    first = to_file(case, "0.1.0", {"failures": []})
    second = to_file(case, "0.2.0", {"failures": [{"promise": "venv.starts"}]})
    assert first["id"] == second["id"] == case.id
    assert loads(json.dumps(second), "x").id == case.id


@pytest.mark.parametrize("name", ["PYENV_VERSION", "PYENV_DIR", "_", "a1", "LC_ALL"])
def test_a_variable_name_sh_takes_is_read(name: str) -> None:
    """Names as POSIX defines them (XBD 3.235 Name: letters, digits, underscores, not from a
    digit), which the reproducer can export."""
    text = _edit(("placement", "env"), [[name, "{root}/x y"]])
    assert loads(text, "ok.json").placement.env == ((name, "{root}/x y"),)


# -- bad input ----------------------------------------------------------------------------------
GOOD = to_file(Case(Builder("venv", "{python} -m venv {target}"),
                    Base("/opt/py/bin/python3.12", "/opt/py", (3, 12, 1), "3.12.1",
                         "/root/.pyenv"),
                    Placement(("exe-link", "relocated"), (
                        MakeDir("inst/bin"), CopyFile("inst/bin/python3.12",
                                                      "/opt/py/bin/python3.12"),
                        LinkEntries("inst/lib/python3.12", "/opt/py/lib/python3.12"),
                        Link("links/bin/python3", "{root}/inst/bin/python3.12"),
                        WriteText("links/x", "y", True),
                        Wrap("wrap/bin/python", "make-wrapper", "{root}/inst/bin/python3.12"),
                        BuildVenv("outer1", "{root}/inst/bin/python3.12"),
                        BuildEnv("env", "reference", "/opt/py/bin/python3.12")),
                              "{root}/links/bin/python3", "venv", ("links/bin",),
                              (("PYENV_VERSION", "3.12.1"),), ("outer1",), None)),
               "0.1.0", {})


def _edit(path: tuple[Any, ...], value: Any) -> str:
    """GOOD as JSON text with the key at ``path`` set to ``value`` (or removed, for DELETE)."""
    data = json.loads(json.dumps(GOOD))
    where = data
    for key in path[:-1]:
        where = where[key]
    if value is DELETE:
        del where[path[-1]]
    else:
        where[path[-1]] = value
    return json.dumps(data)


DELETE = object()
OP = ("placement", "ops")

BAD: list[tuple[str, str]] = [
    ("empty", ""),
    ("not json", "{'format': 'prefixlab-conform-case'}"),
    ("truncated", json.dumps(GOOD)[:-3]),
    ("a list", "[1, 2]"),
    ("a string", '"prefixlab-conform-case"'),
    ("null", "null"),
    ("wrong format", _edit(("format",), "prefixlab-case")),
    ("format a number", _edit(("format",), 1)),
    ("no format", _edit(("format",), DELETE)),
    ("wrong version", _edit(("version",), 2)),
    ("version a string", _edit(("version",), "1")),
    ("version a float", _edit(("version",), 1.0)),
    ("version true", _edit(("version",), True)),
    ("no version", _edit(("version",), DELETE)),
    ("no builder", _edit(("builder",), DELETE)),
    ("builder a list", _edit(("builder",), ["venv"])),
    ("builder kind unknown", _edit(("builder", "kind"), "conda")),
    ("builder without command", _edit(("builder", "command"), DELETE)),
    ("builder command a list", _edit(("builder", "command"), ["python"])),
    ("no interpreter", _edit(("interpreter",), DELETE)),
    ("version of two parts", _edit(("interpreter", "version"), "3.12")),
    ("version with a letter", _edit(("interpreter", "version"), "3.12.1a")),
    ("version a list", _edit(("interpreter", "version"), [3, 12, 1])),
    ("interpreter path null", _edit(("interpreter", "path"), None)),
    ("interpreter without libdir", _edit(("interpreter", "libdir"), DELETE)),
    ("pyenv_root a number", _edit(("interpreter", "pyenv_root"), 1)),
    ("no placement", _edit(("placement",), DELETE)),
    ("names a string", _edit(("placement", "names"), "direct")),
    ("names of numbers", _edit(("placement", "names"), [1])),
    ("python a number", _edit(("placement", "python"), 3)),
    ("no target", _edit(("placement", "target"), DELETE)),
    ("env of strings", _edit(("placement", "env"), ["A=1"])),
    ("env of triples", _edit(("placement", "env"), [["A", "1", "2"]])),
    ("home_link a list", _edit(("placement", "home_link"), ["opt"])),
    ("env name with a space", _edit(("placement", "env"), [["A B", "1"]])),
    ("env name with =", _edit(("placement", "env"), [["A=B", "1"]])),
    ("env name empty", _edit(("placement", "env"), [["", "1"]])),
    ("env name from a digit", _edit(("placement", "env"), [["1A", "1"]])),
    ("env name a command", _edit(("placement", "env"), [["A;touch x", "1"]])),
    ("env name with a NUL", _edit(("placement", "env"), [["A\x00", "1"]])),
    ("ops an object", _edit(OP, {"op": "mkdir", "path": "x"})),
    ("op a string", _edit(OP, ["mkdir x"])),
    ("op without its name", _edit(OP, [{"path": "x"}])),
    ("unknown op", _edit(OP, [{"op": "chmod", "path": "x"}])),
    ("op name a number", _edit(OP, [{"op": 1, "path": "x"}])),
    ("op without a field", _edit(OP, [{"op": "link", "path": "x"}])),
    ("op path a number", _edit(OP, [{"op": "mkdir", "path": 1}])),
    ("op path null", _edit(OP, [{"op": "mkdir", "path": None}])),
    ("op path a boolean", _edit(OP, [{"op": "mkdir", "path": True}])),
    ("link text a boolean", _edit(OP, [{"op": "link", "path": "x", "text": False}])),
    ("executable a string", _edit(OP, [{"op": "write", "path": "x", "text": "",
                                        "executable": "yes"}])),
    ("executable a number", _edit(OP, [{"op": "write", "path": "x", "text": "",
                                        "executable": 1}])),
    ("wrapper kind unknown", _edit(OP, [{"op": "wrap", "path": "x", "kind": "bash-wrapper",
                                         "target": "/bin/true"}])),
    ("system_site a string", _edit(("system_site",), "no")),
    ("system_site a number", _edit(("system_site",), 0)),
    ("no system_site", _edit(("system_site",), DELETE)),
    ("a number too long to read", _edit(("version",), 0).replace('"version": 0',
                                                                  '"version": ' + "1" * 5000)),
    ("nested too deep", "[" * 100_000 + "]" * 100_000),
]


def test_the_good_file_is_good() -> None:
    assert loads(json.dumps(GOOD), "good.json").id == GOOD["id"]


@pytest.mark.parametrize("text", [t for _, t in BAD], ids=[i for i, _ in BAD])
def test_bad_input_is_one_line_naming_the_source(text: str) -> None:
    source = "cases/bad case ü.json"
    with pytest.raises(CaseFileError) as info:
        loads(text, source)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert message.startswith(repr(source))
    assert isinstance(info.value, BadInput)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=50) | st.from_regex(r'\{"format": .*\}', fullmatch=True))
def test_any_text_is_a_case_or_a_case_file_error(text: str) -> None:
    try:
        loads(text, "t.json")
    except CaseFileError as error:
        assert "\n" not in str(error)


@pytest.mark.parametrize("escape", ["\\ud800", "\\udc80", "\\udfff", "\\ud83d\\ude00"])
def test_a_case_read_from_any_json_string_has_an_id(escape: str) -> None:
    """JSON's \\u escapes may name a lone surrogate (RFC 8259 section 8.2 allows it); a case
    file holding one is either refused as a case file error or read as a case with an id."""
    text = json.dumps(GOOD).replace('"command": "', '"command": "x' + escape, 1)
    try:
        case = loads(text, "s.json")
    except CaseFileError:
        return
    assert len(case.id) == 12
    assert case.id != loads(json.dumps(GOOD), "g.json").id
