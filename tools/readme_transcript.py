"""README's console examples as a transcript: each ``$ `` line run, its output compared.

README.md shows the commands as ```` ```console ```` blocks: lines starting with ``$ `` are
commands, the lines after each one its output (stdout and stderr together, in the order
written).  The blocks run in README order, one session: every command runs with ``bash -c``
in one fresh directory, ``$DEMO``, so that an example can use what an earlier one made (the
venv of the first example).  The environment is fixed: ``HOME``, ``PATH`` (the project
venv's ``bin``, then ``/usr/bin:/bin``), ``DEMO``, ``LANG=C.UTF-8``, ``PYENV_ROOT`` when set
and ``PREFIXLAB_COMPILED`` (``0`` unless set); the output is the plain text prefixlab prints
into a pipe.

What truly varies between machines is replaced before comparing, as README says under
"Examples": the directory ``$DEMO`` by ``$DEMO``, the home directory (pyenv's interpreters,
prefixlab's cache) by ``~``, a ``PYENV_ROOT`` elsewhere by ``~/.pyenv``, and the random part
of a scratch directory's name by ``X``s.  Where a replaced path stands in a column, the
padding after it grows by what the path lost, so that columns stay aligned.  An output line
``...`` stands for one or more lines left out (in README: to shorten a long explanation).

A block preceded by the comment ``<!-- transcript: skip (long: WHY) -->`` is not run (a
campaign, a ``make`` target); every such block is counted (tests/test_readme_transcript.py
fixes their number), and a skip must say why.

    python tools/readme_transcript.py            # run every block, report differences
    python tools/readme_transcript.py --write    # run, and rewrite README's outputs
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
ELLIPSIS = "..."
# ```console, or ~~~console for an output that holds a ``` fence itself (explain --graph).
_FENCE = re.compile(r"^(```|~~~)console\n(.*?)^\1$", re.S | re.M)
_SKIP = re.compile(r"<!-- transcript: skip \((long: [^)]+)\) -->\s*\Z")
_TIMEOUT = 300
# A scratch directory prefixlab makes with tempfile.mkdtemp: its random part.
_SCRATCH = re.compile(r"(/prefixlab-[a-z]+-)([a-z0-9_]{8})(?![a-z0-9_])")


@dataclass(frozen=True)
class Command:
    """One ``$ `` line and the output README shows for it."""

    line: str
    expected: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    """A console block: where its text lies in README, its commands, and why it is skipped."""

    start: int
    end: int
    commands: tuple[Command, ...]
    skip: str | None


def blocks(text: str) -> list[Block]:
    """README's console blocks, in order."""
    found = []
    for match in _FENCE.finditer(text):
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = _SKIP.search(before)
        commands: list[Command] = []
        for line in match.group(2).splitlines():
            if line.startswith("$ "):
                commands.append(Command(line[2:], ()))
            elif not commands:
                raise ValueError(f"README: a console block starts with output: {line!r}")
            else:
                last = commands[-1]
                commands[-1] = Command(last.line, (*last.expected, line))
        if not commands:
            raise ValueError("README: an empty console block")
        found.append(Block(match.start(2), match.end(2), tuple(commands),
                           skip.group(1) if skip else None))
    return found


def bin_dir() -> Path:
    """Where ``prefixlab`` is: beside the running interpreter (the project venv's
    ``.venv/bin/python``), else the checkout's ``.venv/bin``."""
    here = Path(sys.executable).parent
    return here if (here / "prefixlab").exists() else REPO / ".venv" / "bin"


def _environment(demo: Path) -> dict[str, str]:
    env = {"HOME": str(Path.home()), "DEMO": str(demo), "LANG": "C.UTF-8",
           "PATH": f"{bin_dir()}:/usr/bin:/bin"}
    if "PYENV_ROOT" in os.environ:
        env["PYENV_ROOT"] = os.environ["PYENV_ROOT"]
    # The Python package, as the test suite runs it (the compiled build answers the same, but
    # says so in a line when it is stale).
    env["PREFIXLAB_COMPILED"] = os.environ.get("PREFIXLAB_COMPILED", "0")
    return env


def _replace(line: str, path: str, placeholder: str) -> str:
    """``path`` (followed by ``/``, a non-path character or the end) as ``placeholder``; a
    column's padding after it grows by the difference."""
    pattern = re.compile(re.escape(path) + r"(?=[/\s'`\"),:;\]]|\Z)(\S*)( {2,}(?=\S))?")

    def sub(m: re.Match[str]) -> str:
        pad = m.group(2)
        if pad is not None:
            pad += " " * (len(path) - len(placeholder))
        return placeholder + m.group(1) + (pad or "")

    return pattern.sub(sub, line)


def normalise(output: str, demo: Path) -> list[str]:
    """The output's lines with ``$DEMO`` and ``~`` put in for this machine's paths."""
    home = str(Path.home())
    pyenv = os.environ.get("PYENV_ROOT", "").rstrip("/")
    lines = []
    for line in output.splitlines():
        line = _replace(line, str(demo), "$DEMO")
        if pyenv.startswith("/") and pyenv != home + "/.pyenv":
            line = _replace(line, pyenv, "~/.pyenv")  # README's machine has pyenv there
        if home != "/":
            line = _replace(line, home, "~")
        lines.append(_SCRATCH.sub(lambda m: m.group(1) + "X" * len(m.group(2)), line).rstrip())
    return lines


def matches(expected: Sequence[str], actual: Sequence[str]) -> bool:
    """Line by line; an expected ``...`` line stands for one or more actual lines."""
    if not expected:
        return not actual
    head, *rest = expected
    if head == ELLIPSIS:
        return any(matches(rest, actual[i:]) for i in range(1, len(actual) + 1))
    return bool(actual) and actual[0] == head and matches(rest, actual[1:])


@dataclass(frozen=True)
class Run:
    """A command run: what README shows, and what the run printed (normalised)."""

    command: Command
    actual: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return matches(self.command.expected, self.actual)


def run(text: str) -> list[tuple[Block, list[Run]]]:
    """Every block that is not skipped, run in order in one fresh ``$DEMO``."""
    done = []
    # A fixed-length name: text output is never wrapped, but a fixed length keeps any
    # column widths the same from run to run.
    with tempfile.TemporaryDirectory(prefix="demo", dir="/tmp") as tmp:
        demo = Path(tmp)
        env = _environment(demo)
        for block in blocks(text):
            if block.skip is not None:
                continue
            runs = []
            for command in block.commands:
                proc = subprocess.run(["bash", "-c", command.line], cwd=demo, env=env,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, timeout=_TIMEOUT, check=False)
                out = proc.stdout.decode("utf-8", "backslashreplace")
                runs.append(Run(command, tuple(normalise(out, demo))))
            done.append((block, runs))
    return done


def _rewritten(block: Block, runs: Sequence[Run]) -> str:
    lines = []
    for r in runs:
        lines.append("$ " + r.command.line)
        # A shortened output is kept as written while it still matches.
        lines.extend(r.command.expected if r.ok else r.actual)
    return "\n".join(lines) + "\n"


def write(text: str, results: Sequence[tuple[Block, list[Run]]]) -> str:
    """README with every run block's outputs replaced by what the runs printed."""
    for block, runs in sorted(results, key=lambda br: -br[0].start):
        text = text[:block.start] + _rewritten(block, runs) + text[block.end:]
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite README's outputs")
    parser.add_argument("--readme", type=Path, default=README, help="another file (a draft)")
    args = parser.parse_args(argv)
    readme: Path = args.readme
    text = readme.read_text(encoding="utf-8")
    results = run(text)
    wrong = [r for _, runs in results for r in runs if not r.ok]
    skipped = [b for b in blocks(text) if b.skip is not None]
    for r in wrong:
        print(f"$ {r.command.line}\n  README:\n"
              + "".join(f"    {line}\n" for line in r.command.expected)
              + "  run:\n" + "".join(f"    {line}\n" for line in r.actual))
    checked = sum(len(runs) for _, runs in results)
    print(f"{checked} commands in {len(results)} blocks run, {len(wrong)} differ; "
          f"{len(skipped)} blocks skipped (long)")
    if args.write and wrong:
        if readme.read_text(encoding="utf-8") != text:
            print(f"{readme} changed during the run: not written", file=sys.stderr)
            return 1
        readme.write_text(write(text, results), encoding="utf-8")
        print(f"{readme} rewritten")
    return 1 if wrong and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
