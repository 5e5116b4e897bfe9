"""README's console examples, run: each ``$ `` line's output must be what README shows.

The expected values are README's own text (the documentation); the runs are real
(tools/readme_transcript.py runs them, in README order, in one fresh directory).  README's
outputs were made on a machine with the interpreters below; elsewhere the answers differ, so
the test needs exactly those (a missing oracle: skipped, or a failure under
PREFIXLAB_REQUIRE_ORACLES=1).  To update README after a change of output:
``.venv/bin/python tools/readme_transcript.py --write``, then read the diff.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from types import ModuleType

import click
import pytest

from conftest import REPO, require_oracle
from prefixlab.impl.cli import main as cli
from prefixlab.impl.host.interpreters import discover

# The interpreters README's outputs come from (`prefixlab interpreters` lists them), in scope
# and not.
VERSIONS = {"2.7.18", "3.6.15", "3.7.16",
            "3.8.18", "3.9.18", "3.10.13", "3.11.2", "3.11.7", "3.12.1", "3.13.0"}
# Console blocks README marks as long (not run): `make explain`, a conform campaign.
SKIPPED = 2


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_transcript",
                                                  REPO / "tools" / "readme_transcript.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


transcript = _tool()


def _readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def _commands() -> set[str]:
    """Every command of the command line, `build venv` style for build's."""
    group = cli.main
    names = set(group.list_commands(click.Context(group))) - {"build"}
    build = group.get_command(click.Context(group), "build")
    assert isinstance(build, click.Group)
    return names | {f"build {n}" for n in build.list_commands(click.Context(build))}


def test_every_command_has_an_example_that_runs() -> None:
    shown = set()
    for block in transcript.blocks(_readme()):
        if block.skip is None:
            for command in block.commands:
                m = re.match(r"prefixlab (build \S+|\S+)", command.line)
                if m:
                    shown.add(m.group(1))
    missing = _commands() - shown - {"conform"}  # a campaign: README marks it long
    assert not missing, f"commands without a run example in README: {sorted(missing)}"


def test_the_long_blocks_are_counted_and_say_why() -> None:
    skipped = [b for b in transcript.blocks(_readme()) if b.skip is not None]
    assert len(skipped) == SKIPPED, [b.commands[0].line for b in skipped]
    assert all(b.skip.startswith("long: ") and len(b.skip) > len("long: ") for b in skipped)


def test_commands_with_output_are_console_blocks() -> None:
    """A `$ ` line in another kind of block would be an example nothing checks."""
    text = _readme()
    for match in re.finditer(r"^(```|~~~)(\S*)\n(.*?)^\1$", text, flags=re.S | re.M):
        if match.group(2) != "console":
            dollar = [line for line in match.group(3).splitlines() if line.startswith("$ ")]
            assert not dollar, f"a ```{match.group(2)} block with commands: {dollar}"


def test_ci_runs_the_quick_starts_test_command() -> None:
    """.ci/run ends with exactly the test command README's quick start gives."""
    text = _readme()
    quick = text[text.index("## Quick start\n"):text.index("## Examples\n")]
    block = re.search(r"^```sh\n(.*?)^```$", quick, flags=re.S | re.M)
    assert block is not None
    commands = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    assert commands == ["make explain", "make test"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    last = [line.strip() for line in ci if line.strip() and not line.lstrip().startswith("#")][-1]
    assert last == commands[1]


def test_the_normalisation_keeps_columns() -> None:
    demo = transcript.Path("/tmp/demoabcdefgh")
    home = str(transcript.Path.home())
    line = f"{home}/x/python3.8  pyenv"
    assert transcript.normalise(line, demo) == [
        "~/x/python3.8" + " " * (2 + len(home) - 1) + "pyenv"]
    assert transcript.normalise("/tmp/demoabcdefgh/venv: 3", demo) == ["$DEMO/venv: 3"]
    assert transcript.normalise("/tmp/demoabcdefghi", demo) == ["/tmp/demoabcdefghi"]
    assert transcript.matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert not transcript.matches(["a", "...", "d"], ["a", "d"])


@pytest.mark.real
def test_the_examples_print_what_readme_shows() -> None:
    found = {"%d.%d.%d" % i.version for i in discover() if i.version}
    require_oracle(found == VERSIONS,
                   f"README's examples were made with CPython {sorted(VERSIONS)}; "
                   f"here: {sorted(found)}")
    results = transcript.run(_readme())
    assert len(results) + SKIPPED == len(transcript.blocks(_readme()))
    wrong = [r for _, runs in results for r in runs if not r.ok]
    report = "".join(f"\n$ {r.command.line}\n--- README\n" + "\n".join(r.command.expected)
                     + "\n+++ run\n" + "\n".join(r.actual) for r in wrong)
    assert not wrong, f"README's examples differ from a fresh run:{report}"
