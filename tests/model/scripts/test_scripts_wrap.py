"""prefixlab's own wrapper and the unwrapper, and the quirks of nixpkgs' wrapPythonPrograms
(pkgs/development/interpreters/python/wrap.sh and wrap-python.nix's magicalSedExpression).

Expected values: a generated script knows its own answer (``Script.with_interpreter``); the
real ``compile()`` and ``ast`` of the project's Python and of every interpreter found judge
"compiles" and "``__future__`` first"; the preamble lines of wrapPythonPrograms are where GNU
sed 4.9 puts them running the magicalSedExpression of nixpkgs' wrap-python.nix (273fa138).
"""

from __future__ import annotations

import ast
import json
import subprocess

import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.scripts.nixwrap import NixWrap, wrap_python_programs
from prefixlab.model.strategies.scripts import (Script, WrappedScript, nix_wrappable_scripts,
                                                nix_wrapped_scripts, python_scripts)
from prefixlab.model.scripts.lines import ScriptError, parse_shebang
from prefixlab.model.scripts.wrap import unwrap, wrap


PYTHONS = st.sampled_from([b"/env/bin/python3.12", b"/opt/py/bin/python3",
                           b"/nix/store/zzzz-python3-env/bin/python3.11"])


def compiles(source: bytes) -> bool:
    try:
        compile(source, "<script>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def is_ours(node: ast.stmt) -> bool:
    return isinstance(node, ast.Import) and any(a.asname == "_prefixlab_sys" for a in node.names)


def futures(tree: ast.Module) -> list[str]:
    return [a.name for node in tree.body if isinstance(node, ast.ImportFrom)
            and node.module == "__future__" for a in node.names]


# -- 3(b): round trip ---------------------------------------------------------------------------
@given(script=python_scripts(), python=PYTHONS, other=PYTHONS)
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@example(Script(b"#!", b"/usr/bin/python3", b"", b"\n", b'"a\\\\"\nimport os\n'),
         b"/p/python", b"/q/python")  # sed keeps skipping the string; our header does not
@example(Script(b"#!", b"/usr/bin/python3", b"", b"", b""), b"/p/python", b"/q/python")
# sed's scan joins the comment ending in a backslash with our preamble and runs on to a user
# line shaped like nixpkgs' preamble (found by the 2,000-example run)
@example(Script(b"#!", b"/usr/bin/python3", b"", b"\n", b"# ends with a backslash \\\n"
                b"import sys;import site;import functools;sys.argv[0] = '/x/bin/foo';"
                b"functools.reduce(lambda k, p: site.addsitedir(p, k), ['/x/lib'], "
                b"site._init_pathinfo());\n"), b"/p/python", b"/q/python")
def test_unwrap_undoes_wrap(script: Script, python: bytes, other: bytes) -> None:
    try:
        wrapped = wrap(script.text, python, argv0="/env/bin/foo", sitedirs=["/env/lib/site"])
    except ScriptError as error:
        note(str(error))
        # Refused only when there is nothing sound to do: env with options, or a header
        # construct that never closes (then the script cannot compile).
        shebang = parse_shebang(script.text.split(b"\n")[0] + b"\n")
        assert (shebang is not None and shebang.env_options) or not compiles(script.text)
        return
    note(repr(wrapped))
    assert unwrap(wrapped, other).text == script.with_interpreter(other)


@given(script=nix_wrappable_scripts(), python=PYTHONS)
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_unwrap_undoes_wrap_python_programs(script: Script, python: bytes) -> None:
    wrapped = wrap_python_programs(script.text, NixWrap())
    assert wrapped is not None, "nix_wrappable_scripts made a script wrapPythonPrograms skips"
    note(repr(wrapped.text))
    assert unwrap(wrapped.text, python).text == script.with_interpreter(python)


@given(case=nix_wrapped_scripts(), python=PYTHONS)
@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
def test_unwrap_undoes_wrap_python_programs_with_any_dependencies(case: WrappedScript,
                                                                  python: bytes) -> None:
    """The preamble lists 0 to 3 site directories (nix_wraps)."""
    assert unwrap(case.text, python).text == case.script.with_interpreter(python)


# -- 3(b): compiles when the original did, __future__ first, docstring kept --------------------
@given(script=python_scripts(env_options=False), python=PYTHONS)
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_wrapped_compiles_with_futures_first(script: Script, python: bytes) -> None:
    if not compiles(script.text):
        return
    wrapped = wrap(script.text, python, argv0="/x/bin/foo", sitedirs=["/x/lib/site"])
    note(repr(wrapped))
    assert compiles(wrapped)
    before, after = ast.parse(script.text), ast.parse(wrapped)
    ours = next(i for i, node in enumerate(after.body) if is_ours(node))
    assert futures(ast.Module(body=after.body[:ours], type_ignores=[])) == futures(before)
    assert ast.get_docstring(after, clean=False) == ast.get_docstring(before, clean=False)


@pytest.mark.parametrize("body", [
    b'("doc")\nfrom __future__ import annotations\nimport os\n',  # a parenthesized docstring
    b'"a" "b"\nfrom __future__ import annotations\nimport os\n',  # implicit concatenation
    b'"""doc""";from __future__ import annotations;import os\n',  # one line, three statements
    b"from __future__ import annotations; import os\nx = 1\n",
    b"from __future__ import (annotations,\n    division); import os\n",
    b"from \\\n    __future__ import annotations\nimport os\n",  # a continuation inside it
    b"# c\n\n\x0c\n'''doc'''\n\n# c\nfrom __future__ import annotations  # c\n\n# c\nimport os",
    b"'''doc'''",  # nothing after the header, no final newline
    b"",
])
def test_header_shapes_python_accepts(body: bytes) -> None:
    """Headers the generator does not build, judged by the host's compile() and ast."""
    script = Script(b"#!", b"/usr/bin/python3", b"", b"\n", body)
    assert compiles(script.text)
    wrapped = wrap(script.text, b"/p/python", argv0="/p/bin/foo", sitedirs=["/p/lib"])
    assert compiles(wrapped)
    before, after = ast.parse(script.text), ast.parse(wrapped)
    ours = next(i for i, node in enumerate(after.body) if is_ours(node))
    assert futures(ast.Module(body=after.body[:ours], type_ignores=[])) == futures(before)
    assert ast.get_docstring(after, clean=False) == ast.get_docstring(before, clean=False)
    assert unwrap(wrapped, b"/q/python").text == script.with_interpreter(b"/q/python")


CHECKER = r"""
import ast, json, sys
def judge(source):
    try:
        compile(source, "<script>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    tree = ast.parse(source)
    body = tree.body
    ours = [i for i, n in enumerate(body) if isinstance(n, ast.Import)
            and any(a.asname == "_prefixlab_sys" for a in n.names)]
    head = body[:ours[0]] if ours else body
    names = [a.name for n in head if isinstance(n, ast.ImportFrom)
             and n.module == "__future__" for a in n.names]
    return [names, ast.get_docstring(tree, clean=False)]
print(json.dumps([[judge(bytes.fromhex(o)), judge(bytes.fromhex(w))]
                  for o, w in json.load(sys.stdin)]))
"""


def judge_on(interp: Interpreter, pairs: list[tuple[bytes, bytes]]) -> list[list[object]]:
    done = subprocess.run([interp.real_path, "-I", "-S", "-c", CHECKER], env={}, cwd="/",
                          input=json.dumps([[o.hex(), w.hex()] for o, w in pairs]),
                          capture_output=True, text=True, timeout=120, check=True)
    result: list[list[object]] = json.loads(done.stdout)
    return result


@given(scripts=st.lists(python_scripts(env_options=False), min_size=30, max_size=30))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_wrapped_compiles_on_each_interpreter(interpreters: list[Interpreter],
                                              scripts: list[Script]) -> None:
    """The real compile() and ast of every interpreter found, 30 scripts per process."""
    pairs = []
    for script in scripts:
        try:
            pairs.append((script.text, wrap(script.text, b"/env/bin/python", argv0="/e/bin/f")))
        except ScriptError:
            continue
    for interp in interpreters:
        judged = judge_on(interp, pairs)
        assert any(before is not None for before, _ in judged), "no script compiled at all"
        for (original, wrapped), (before, after) in zip(pairs, judged):
            if before is not None:
                assert after == before, (interp.path, original, wrapped)


# -- 3(a): the quirks of the magicalSedExpression (wrap-python.nix, GNU sed 4.9) ---------------
SHAPES = [  # (line 1 and body, 1-based line of the preamble)
    (b"#!/usr/bin/python3.12\n# -*- coding: utf-8 -*-\nimport re\nimport sys\n", 3),
    (b"#!/usr/bin/python3\nfrom __future__ import annotations\nimport os\n", 3),
    (b'#!/usr/bin/python3\n"""one-line doc"""\nimport os\n', 3),
    (b'#!/usr/bin/python3\nimport sys\nprint("hi")\n', 2),
    (b"#!/usr/bin/env python\nimport os\nimport sys\nos.getcwd()\n", 2),  # pretalx
    (b"#!/usr/bin/python3\nimport os, \\\n    sys\n", 2),
    (b'#!/usr/bin/python3\n"""doc\nline\nline\n"""\nimport os\n', 6),
    (b"#!/usr/bin/python3\n# coding: utf-8\n\n# c\nimport os\n", 5),
    (b'#!/usr/bin/python3\nR"""doc\n"""\nimport os\n', 2),
    (b"#!/usr/bin/python3\nfrom __future__ import (\n    annotations, division\n)\n", 4),
]


@pytest.mark.parametrize(("script", "line"), SHAPES)
def test_preamble_lands_where_the_notes_record(script: bytes, line: int) -> None:
    wrapped = wrap_python_programs(script, NixWrap())
    assert wrapped is not None and wrapped.preamble_line == line - 1


def test_parenthesized_future_import_breaks(script: bytes = SHAPES[-1][0]) -> None:
    """nixpkgs #40427: the preamble lands inside the parentheses; the script no longer
    compiles (and prefixlab's own wrapper keeps it compiling)."""
    wrapped = wrap_python_programs(script, NixWrap())
    assert wrapped is not None
    assert compiles(script) and not compiles(wrapped.text)
    assert compiles(wrap(script, b"/env/bin/python"))


def test_line_three_rule_deletes_import_os() -> None:
    """#297628's unwrapper (`sed -e 1d -e 3d`) on pretalx's manage.py shape deletes
    `import os` and keeps the preamble (the reason for the revert, #302385)."""
    wrapped = wrap_python_programs(SHAPES[4][0], NixWrap())
    assert wrapped is not None
    lines = wrapped.text.split(b"\n")
    kept = lines[1:2] + lines[3:]
    assert b"import os" not in kept and kept[0].startswith(b"import sys;import site")


def test_env_shebang_rewrite_keeps_the_argument() -> None:
    wrapped = wrap_python_programs(b"#!/usr/bin/env python3 -u\nimport os\n",
                                   NixWrap(executable="/nix/store/p/bin/python3.12"))
    assert wrapped is not None and wrapped.text.startswith(b"#!/nix/store/p/bin/python3.12 -u\n")


@pytest.mark.parametrize("line1", [b"#! /usr/bin/env python3\n", b"#!/usr/bin/env python3\t-u\n",
                                   b"#!/usr/bin/env python3\r\n"])
def test_env_rewrites_that_lose_bytes(line1: bytes) -> None:
    """notes/05: the blank after #!, a tab and what follows, a CR-LF's CR are gone."""
    wrapped = wrap_python_programs(line1 + b"import os\n", NixWrap(executable="/n/python3"))
    assert wrapped is not None and wrapped.text.startswith(b"#!/n/python3\nimport sys;")


def test_crlf_blank_line_counts_as_code() -> None:
    """notes/05: a CR-LF blank line is `\\r`, not blank for the sed program."""
    wrapped = wrap_python_programs(b"#!/usr/bin/python3\r\n\r\nimport os\r\n", NixWrap())
    assert wrapped is not None and wrapped.preamble_line == 1


def test_sh_trampoline_is_not_wrapped() -> None:
    """pip/installer's long-path trampoline starts with #!/bin/sh: not patched (notes 4.1)."""
    text = b"#!/bin/sh\n'''exec' '/very/long/python' \"$0\" \"$@\"\n' '''\nimport os\n"
    assert wrap_python_programs(text, NixWrap()) is None


# -- refusals -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "reason"), [
    (b"#!/usr/bin/python3\nimport os\n", "not a wrapped script"),
    (b"print('no shebang')\n", "not a #! line"),
    (b"", "not a #! line"),
])
def test_unwrap_refuses_what_no_wrapper_made(text: bytes, reason: str) -> None:
    with pytest.raises(ScriptError, match=reason):
        unwrap(text, b"/env/bin/python")


def test_unwrap_refuses_env_options() -> None:
    wrapped = b"#!/usr/bin/env -S python3 -u\nimport os\n"
    with pytest.raises(ScriptError):
        unwrap(wrapped, b"/env/bin/python")
