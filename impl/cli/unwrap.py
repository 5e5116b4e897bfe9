"""The ``unwrap`` and ``fuzz-unwrap`` commands (registered in prefixlab.impl.cli.main).

``prefixlab unwrap SCRIPT --python P`` prints the script a wrapper (prefixlab's own or nixpkgs'
wrapPythonPrograms) made SCRIPT from, with P as its interpreter.  ``prefixlab fuzz-unwrap --cmd
COMMAND`` checks an unwrapper (see prefixlab.impl.checks.fuzz_unwrap).  Exit codes: 0 an answer / no
finding, 1 a finding, 2 bad input (one line on stderr).
"""

from __future__ import annotations

import difflib
import os
import shlex
import sys
import time

from typing import TYPE_CHECKING

import click

from prefixlab.impl.cli.badinput import BadInput
from prefixlab.impl.render.escape import show
from prefixlab.model.scripts.lines import ScriptError
from prefixlab.model.scripts.wrap import check_interpreter, unwrap

if TYPE_CHECKING:
    from prefixlab.impl.checks import fuzz_unwrap as fuzz

HELP = {"help_option_names": ["-h", "--help"]}


@click.command(name="unwrap", context_settings=HELP)
@click.argument("script", type=click.Path(dir_okay=False))
@click.option("--python", "python", required=True, metavar="P",
              help="The interpreter the unwrapped script should name in its #! line.")
@click.option("--explain", is_flag=True,
              help="Also say on stderr where the preamble was found, and by which rule.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: schema, script, python, text (the unwrapped "
                   "script) and steps (rule, summary, detail, source).")
def unwrap_command(script: str, python: str, explain: bool, as_json: bool) -> int:
    """Print the script that SCRIPT was made from by a wrapper (prefixlab's own, or nixpkgs'
    wrapPythonPrograms, whose preamble is found where its sed program puts it), with P as its
    #! interpreter (for `#!/usr/bin/env NAME`, env and NAME together).  Refuses, saying why,
    when SCRIPT is not something either wrapper produces."""
    try:
        check_interpreter(os.fsencode(python))
    except ScriptError as error:
        raise BadInput(f"--python: {error}") from None
    try:
        with open(script, "rb") as handle:
            text = handle.read()
    except OSError as error:
        raise BadInput(f"{show(script)}: cannot read: {error.strerror}") from None
    try:
        answer = unwrap(text, os.fsencode(python))
    except ScriptError as error:
        raise BadInput(f"{show(script)}: {_refusal(str(error))}") from None
    if as_json:
        _dump({"schema": JSON_SCHEMA, "script": script, "python": python,
               "text": _text(answer.text),
               "steps": [{"rule": step.rule.id, "summary": step.rule.summary,
                          "detail": step.detail, "source": step.rule.source}
                         for step in answer.steps]})
    else:
        sys.stdout.buffer.write(answer.text)
        sys.stdout.flush()
    if explain:
        for n, step in enumerate(answer.steps, 1):
            detail = show(step.detail, backslash=False)  # reprs inside: escaped already
            click.echo(f"{n}. {step.rule.summary} Here: {detail}. [rule {step.rule.id}"
                       f" · source: {step.rule.source}]", err=True)
    return 0


JSON_SCHEMA = 1
"""The version of unwrap's and fuzz-unwrap's --json objects."""


def _text(data: bytes) -> str:
    """Bytes as a JSON string: UTF-8, a byte that is not UTF-8 as the lone surrogate
    U+DC80-U+DCFF (Python's surrogateescape, as os.fsdecode does; JSON writes it \\udcXX)."""
    return data.decode("utf-8", "surrogateescape")


def _dump(data: object) -> None:
    import json

    click.echo(json.dumps(data, indent=2))


OUR_WRAPPER = "prefixlab's wrapper (the Python function prefixlab.model.scripts.wrap.wrap)"
"""What makes prefixlab-wrapped scripts: a function, not a command (there is no `prefixlab
wrap`)."""


def _refusal(reason: str) -> str:
    """The model's reason for a refusal, naming prefixlab's wrapper by what exists: the model
    calls it `prefixlab wrap`, which is no command a user could run."""
    return reason.replace("prefixlab wrap would", f"{OUR_WRAPPER} would")


@click.command(name="fuzz-unwrap", context_settings=HELP)
@click.option("--cmd", "command", required=True, metavar="COMMAND",
              help="The unwrapper, run by /bin/sh in a scratch directory; {script} is "
                   "replaced by the shell-quoted path of the wrapped script, {python} by "
                   "that of the interpreter to name (in a fake Nix store: it need not "
                   "exist); it prints the unwrapped script.")
@click.option("--max-examples", type=click.IntRange(1), default=1000, show_default=True,
              help="Scripts to try at most.")
@click.option("--seed", type=int, default=None,
              help="Fix the random seed (the example database is then not used).")
@click.option("--budget", type=click.FloatRange(1), default=30.0, show_default=True,
              metavar="SECONDS", help="Wall-clock budget, shrinking included.")
@click.option("--timeout", type=click.FloatRange(0.1), default=10.0, show_default=True,
              metavar="SECONDS", help="Time limit for one run of COMMAND.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: schema, command, scripts (how many were tried) "
                   "and finding (null, or problem, script, wrapped, expected, stdout, stderr, "
                   "status, reproducer).")
def fuzz_unwrap_command(command: str, max_examples: int, seed: int | None, budget: float,
                        timeout: float, as_json: bool) -> int:
    """Check an unwrapper: generate Python scripts, wrap each as nixpkgs' wrapPythonPrograms
    does (`bin/.foo-wrapped`), run COMMAND on it and compare what it prints with the original
    script, its interpreter replaced by {python}.  Exit 1 with the shrunk script, a diff and a
    shell reproducer when COMMAND gets one wrong (or fails, crashes or hangs), 0 when it gets
    all of them right, 2 when it cannot even unwrap a plain console script."""
    from prefixlab.impl.checks import fuzz_unwrap as fuzz  # Hypothesis: only for this command

    if not command.strip():
        raise BadInput("--cmd: empty command")
    started = time.monotonic()
    fuzzer = fuzz.Fuzzer(command, timeout=timeout)
    broken = fuzz.sanity(fuzzer)
    if broken is not None:
        raise BadInput(f"--cmd: the command fails on a plain console script ({broken.problem}"
                        f"{_stderr_hint(broken.run.stderr)}); is it runnable?")
    left = max(budget - (time.monotonic() - started), 1.0)  # the sanity run counts too
    finding = _search(fuzzer, fuzz.Budget(max_examples, left, seed))
    if as_json:
        _dump({"schema": JSON_SCHEMA, "command": command, "scripts": fuzzer.cases,
               "finding": None if finding is None else _finding_json(finding)})
        return 0 if finding is None else 1
    if finding is None:
        done = "the one script" if fuzzer.cases == 1 else f"all {fuzzer.cases} scripts"
        click.echo(f"No finding: COMMAND unwrapped {done} right.")
        return 0
    click.echo(report(finding, fuzzer.cases), nl=False)
    return 1


def _search(fuzzer: fuzz.Fuzzer, budget: fuzz.Budget) -> fuzz.Finding | None:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from prefixlab.impl.checks import fuzz_unwrap as fuzz
    from prefixlab.impl.cli.main import global_options, stderr_console
    from prefixlab.impl.render.text import counted

    console = stderr_console()
    if global_options().quiet or not console.is_terminal:  # -q: no progress display
        return fuzz.search(fuzzer, budget)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("fuzz-unwrap: 0 scripts", total=None)

        def update(cases: int, seconds: float) -> None:
            progress.update(task, description=f"fuzz-unwrap: {counted(cases, 'script')}")
        return fuzz.search(fuzzer, budget, update)


def _finding_json(finding: fuzz.Finding) -> dict[str, object]:
    """Bytes as :func:`_text` gives them; status None: killed for its time or output."""
    run = finding.run
    return {"problem": finding.problem, "script": _text(finding.script.text),
            "wrapped": _text(finding.wrapped), "expected": _text(finding.expected),
            "stdout": _text(run.stdout), "stderr": _text(run.stderr), "status": run.status,
            "reproducer": reproducer(finding)}


def _stderr_hint(stderr: bytes) -> str:
    last = stderr.decode("utf-8", "surrogateescape").strip().splitlines()
    return f": {show(last[-1][:200])}" if last else ""


# -- the report ---------------------------------------------------------------------------------
def report(finding: fuzz.Finding, cases: int) -> str:
    """Everything needed to see and replay a finding, as plain text."""
    from prefixlab.impl.checks import fuzz_unwrap as fuzz
    from prefixlab.impl.render.text import counted

    run = finding.run
    stdout, cut = _clip(run.stdout)
    got = "(nothing)\n" if not run.stdout else _show(stdout) + cut
    diff = "".join(_diff(finding.expected, stdout, got_ends=not cut)) + (
        cut and "  (the diff stops there too)\n")
    parts = [
        f"Finding after {counted(cases, 'script')}: {finding.problem}.",
        "Lines are escaped as values are (\\r, \\t, \\\\, \\xNN for a byte that is not "
        "UTF-8); each ends at ⏎.",
        "", "The script (shrunk):", _show(finding.script.text),
        f"Wrapped by wrapPythonPrograms ({{script}}, bin/.{fuzz.NAME}-wrapped):",
        _show(finding.wrapped),
        f"Expected: the script with its interpreter replaced by {{python}} = {fuzz.PYTHON}.",
        "COMMAND printed:", got,
    ]
    if run.stderr:
        stderr, cut = _clip(run.stderr)
        parts += ["On stderr:", _show(stderr) + cut]
    parts += ["Diff (expected, then what COMMAND printed):", diff or "(no difference in stdout)\n",
              "Reproduce with:", reproducer(finding)]
    return "\n".join(parts)


SHOWN = 8 << 10, 100
"""How much of COMMAND's output a report shows: bytes, lines."""


def _clip(data: bytes) -> tuple[bytes, str]:
    size, lines = SHOWN
    kept = data[:size]
    if kept.count(b"\n") > lines:
        kept = b"".join(kept.splitlines(keepends=True)[:lines])
    if len(kept) == len(data):
        return data, ""
    return kept, f"  ... and {len(data) - len(kept)} more bytes, not shown\n"


def _show(data: bytes) -> str:
    text = data.decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    shown = [show(line) for line in lines]
    if text.endswith("\n"):
        shown.pop()
        return "".join(f"  {line}⏎\n" for line in shown)
    return "".join(f"  {line}⏎\n" for line in shown[:-1]) + f"  {shown[-1]}  (no newline)\n"


NO_NEWLINE = "\\ No newline at end of file"
"""What diff -u writes after a line the file ends without a newline (GNU diffutils, POSIX)."""


def _diff(expected: bytes, got: bytes, *, got_ends: bool = True) -> list[str]:
    """A unified diff of the two outputs as diff -u shows it: lines end at a newline only (a
    CR stays in its line, shown as \\r), and a last line without one is followed by the
    marker :data:`NO_NEWLINE`; not ``got``'s (``+`` or context) when ``got_ends`` is false,
    ``got`` being only the part of the output shown (cut in a line, not at its end)."""
    lines = difflib.diff_bytes(difflib.unified_diff, _lines(expected), _lines(got),
                               b"expected", b"got", n=2)
    out = []
    for line in lines:
        out.append(show(line.decode("utf-8", "surrogateescape").removesuffix("\n")) + "\n")
        if not line.endswith(b"\n") and (got_ends or line[:1] == b"-"):
            out.append(NO_NEWLINE + "\n")
    return out


def _lines(data: bytes) -> list[bytes]:
    """``data`` cut after each newline, as diff reads a file (bytes.splitlines would cut at a
    CR as well)."""
    lines = data.split(b"\n")
    last = lines.pop()
    return [line + b"\n" for line in lines] + ([last] if last else [])


def reproducer(finding: fuzz.Finding) -> str:
    """A POSIX shell snippet that lays the case down again and runs COMMAND on it."""
    from prefixlab.impl.checks import fuzz_unwrap as fuzz

    target = f'"$d"/pkg/bin/.{fuzz.NAME}-wrapped'
    command = fuzz.substitute(finding.template, target, shlex.quote(fuzz.PYTHON))
    return "\n".join([
        "  export d=\"$(mktemp -d)\" && mkdir -p \"$d\"/pkg/bin && cd \"$d\" &&",
        f"  printf '{_printf(finding.wrapped)}' > {target} &&",
        f"  chmod +x {target} &&",
        f"  printf '{_printf(finding.expected)}' > expected &&",
        f"  /bin/sh -c {shlex.quote(command)} > got; echo \"exit status $?\"; "
        "cmp expected got && echo same",
    ]) + "\n"


def _printf(data: bytes) -> str:
    """printf format text producing ``data`` exactly: octal escapes for anything special."""
    out = []
    for byte in data:
        char = chr(byte)
        if 0x20 <= byte < 0x7f and char not in "\\%'":
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)
