"""conform's builders: --cmd templates checked, expanded and run by /bin/sh, and the built-in
adapters.

The oracle for ``expand`` is /bin/sh itself: the expanded command runs ``printf '%s\\0'`` on
the placeholders, and the NUL-separated words it prints must be the values given, one word
each, whatever characters they hold (the module docstring: "each replaced by prefixlab with a
shell-quoted value").
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prefixlab.impl.conform import reproducer
from prefixlab.impl.conform.builders import (
    VENV_ADAPTERS, BuilderError, adapter, check_template, expand, find_tool,
    wants_system_site)
from prefixlab.model.conform.case import Builder
from prefixlab.model.errors import BadInput

VALUES = st.lists(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
                          | st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),
                          max_size=4)
                  | st.sampled_from(["'", '"', "\\", "$", "`", "{", "}", "{python}", "{target}",
                                     "{root}", " ", "\n", "*", "-", "~", "!", "#", ";", "&",
                                     "$(x)", "${ROOT}"]),
                  max_size=8).map("".join)
"""Words as file names hold them: any character but NUL, undecodable bytes as PEP 383's
surrogates, with shell syntax and placeholder names drawn often."""

PRINT = "printf '%s\\000' {python} {target} {system_site_packages}"


def sh_words(command: str, **environ: str) -> list[str]:
    """The NUL-terminated words /bin/sh's printf prints for ``command``."""
    done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin", **environ})
    assert done.returncode == 0, done.stderr
    out = os.fsdecode(done.stdout)
    assert out.endswith("\0") or out == ""
    return out.split("\0")[:-1]


# -- check_template ------------------------------------------------------------------------------
REFUSED = [
    ("{python} -m venv {target} {root}", "venv", "{root}"),
    ("{tool} venv --python {python} {target}", "venv", "{tool}"),
    ("{Python} -m venv {target}", "venv", "{Python}"),
    ("virtualenv {target}", "venv", "{python}"),
    ("{python} -m venv", "venv", "{target}"),
    ("'{python}' -m venv {target}", "venv", "{python}"),
    ("{python} -m venv \"{target}\"", "venv", "{target}"),
    ("{python} -m venv \"$HOME/{target}\"", "venv", "{target}"),
    ("{python} -m venv 'a b'/'{target}'", "venv", "{target}"),
    ("{python} -c 'x' \"a \\\"{target}\"", "venv", "{target}"),
    ("{python} -m venv {target} \"{system_site_packages}\"", "venv", "{system_site_packages}"),
    ("build {python} {target} {packages}", "venv", "{packages}"),
    ("build {python} {target} '{packages}'", "env", "{packages}"),
]


@pytest.mark.parametrize(("template", "kind", "named"), REFUSED, ids=[t for t, _, _ in REFUSED])
def test_a_bad_template_is_refused_in_one_line(template: str, kind: str, named: str) -> None:
    with pytest.raises(BuilderError) as info:
        check_template(template, kind)
    assert "\n" not in str(info.value)
    assert named in str(info.value)
    assert isinstance(info.value, BadInput)


ACCEPTED = [
    ("{python} -m venv {target}", "venv"),
    ("{python} -m venv {system_site_packages} {target}", "venv"),
    ("'quoted'{python} -m venv \"a\"{target}", "venv"),
    ("echo 'it''s' {python}; {python} -m venv {target}", "venv"),
    ("echo \"a\\\"b\" {python} {target}", "venv"),
    ("echo 'a\\' {python} {target}", "venv"),
    ("build {python} {target} {packages}", "env"),
    ("x={python}; $x -m venv {target}", "venv"),
]


@pytest.mark.parametrize(("template", "kind"), ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_a_good_template_is_accepted(template: str, kind: str) -> None:
    builder = check_template(template, kind)
    assert builder == Builder("cmd", template, "venv" if kind == "venv" else "env")


def sh_run(command: str) -> tuple[int, str]:
    done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin"})
    return done.returncode, os.fsdecode(done.stdout)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["{python}", "{target}", " ", "x", "'", '"', "\\", "'a'",
                                 '"b"', "=", "-"]), max_size=10),
       VALUES, VALUES)
def test_a_template_check_template_accepts_takes_any_value_literally(
        parts: list[str], python: str, target: str) -> None:
    """Whatever surrounds a placeholder in an accepted template, sh treats its value as
    literal text: the template prints with the value what it prints with a plain word in
    its place (sh is the judge of quoting; a template sh cannot parse is skipped)."""
    template = "printf '%s\\000' " + "".join(parts) + " {python} {target}"
    try:
        builder = check_template(template)
    except BuilderError:
        return
    plain = sh_run(expand(builder, python="PLAINPYTHON", target="PLAINTARGET"))
    if plain[0] != 0:
        return  # not a command sh runs with plain words either
    status, out = sh_run(expand(builder, python=python, target=target))
    assert (status, out) == (0, plain[1].replace("PLAINPYTHON", python)
                             .replace("PLAINTARGET", target)), template


def test_a_placeholder_after_a_backslash_is_refused() -> None:
    """sh takes the backslash for the first character of the quoted value: \\{python} with
    the value '/a b' runs as the two words '/a and b'."""
    with pytest.raises(BuilderError) as info:
        check_template("\\{python} -m venv {target}")
    assert "{python}" in str(info.value) and "\n" not in str(info.value)


# -- expand: /bin/sh gets each value back as one word ------------------------------------------
@settings(max_examples=300, deadline=None)
@given(VALUES, VALUES, st.booleans())
def test_expand_gives_sh_each_value_as_one_word(python: str, target: str,
                                                system_site: bool) -> None:
    builder = check_template(PRINT)
    words = sh_words(expand(builder, python=python, target=target, system_site=system_site))
    assert words == [python, target] + (["--system-site-packages"] if system_site else [])


@settings(max_examples=200, deadline=None)
@given(VALUES, st.lists(VALUES, max_size=4))
def test_expand_gives_sh_each_package_as_one_word(python: str, packages: list[str]) -> None:
    builder = check_template("printf '%s\\000' {python} {target} {packages}", "env")
    words = sh_words(expand(builder, python=python, target="/t", packages=tuple(packages)))
    assert words == [python, "/t", *packages]


@settings(max_examples=300, deadline=None)
@given(VALUES, VALUES, VALUES.filter(lambda r: r != ""), st.booleans())
def test_expand_with_the_reproducer_s_quoting_puts_root_in(python: str, target: str, root: str,
                                                           system_site: bool) -> None:
    """The reproducer quotes with word(): ``{root}`` in a value becomes "$ROOT", the rest
    stays literal."""
    builder = check_template(PRINT)
    command = expand(builder, python=python, target=target, system_site=system_site,
                     quote=reproducer.word)
    words = sh_words(command, ROOT=root)
    assert words == [python.replace("{root}", root), target.replace("{root}", root)] + (
        ["--system-site-packages"] if system_site else [])


def test_expand_is_one_pass() -> None:
    """A value that reads like a placeholder is not expanded again."""
    builder = check_template(PRINT)
    assert sh_words(expand(builder, python="{target}", target="{python}")) == \
        ["{target}", "{python}"]


def test_system_site_packages_is_asked_only_of_a_template_that_has_it() -> None:
    assert wants_system_site(check_template(PRINT))
    assert not wants_system_site(check_template("printf '%s\\000' {python} {target}"))


# -- the built-in adapters -------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(VENV_ADAPTERS))
def test_a_venv_adapter_is_a_good_template_naming_its_tool(name: str) -> None:
    builder = adapter(name)
    assert builder.name == name and builder.kind == "venv"
    # the built-in templates obey the rules --cmd templates do
    assert check_template(builder.command).command == builder.command
    assert wants_system_site(builder)
    tool = VENV_ADAPTERS[name][0]
    words = shlex.split(builder.command)
    if tool:
        path = words[0]
        assert os.path.isabs(path) and os.path.basename(path) == tool
        assert os.path.isfile(path) and os.access(path, os.X_OK)
    else:
        assert words[:3] == ["{python}", "-m", "venv"]


@pytest.mark.parametrize("name", ["uv", "virtualenv", "prefixlab"])
def test_a_tool_not_on_path_is_found_beside_this_interpreter(name: str) -> None:
    """The project venv's bin holds uv and virtualenv (dev extras) and prefixlab."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    assert os.access(beside, os.X_OK), f"{beside}: run make dev"
    assert find_tool(name, {"PATH": "/nonexistent"}) == beside


def test_a_missing_tool_is_one_line() -> None:
    with pytest.raises(BuilderError) as info:
        find_tool("prefixlab-no-such-tool", {"PATH": "/nonexistent"})
    assert "\n" not in str(info.value) and "prefixlab-no-such-tool" in str(info.value)


@pytest.mark.parametrize("name", ["pip", "conda", "", "prefixlab-env", "nix-classic", "UV",
                                  "venv "])
def test_an_unknown_builder_is_one_line_naming_it(name: str) -> None:
    with pytest.raises(BuilderError) as info:
        adapter(name)
    assert "\n" not in str(info.value) and repr(name) in str(info.value)
