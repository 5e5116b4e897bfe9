"""Run each interpreter's own Lib/test/test_venv.py against `prefixlab build venv`.

For every in-scope interpreter found here (impl/host/interpreters.py ``discover``), or the ones
named with ``--python`` (anything impl/host/requests.py resolves: a path, a name on PATH, a
version request such as 3.12), the interpreter's stdlib ``test/test_venv.py`` is copied into a
scratch directory (the installation is only read) and run by that interpreter with
``venv.EnvBuilder.create`` replaced by a call to ``prefixlab build venv TARGET --python
sys.executable --stdlib-compatible``, its options mapped:

  ============================  ====================================================
  EnvBuilder                    prefixlab build venv
  ============================  ====================================================
  symlinks=False (the default)  --copies
  system_site_packages          --system-site-packages
  clear / upgrade               --clear / --upgrade
  prompt                        --prompt (as given: ``orig_prompt`` from 3.9)
  scm_ignore_files=() (3.13)    --without-scm-ignore-files
  an existing non-empty TARGET  --allow-existing (stdlib venv writes into it)
  ============================  ====================================================

A failed build raises ValueError with prefixlab's one line (stdlib venv raises ValueError or
OSError where the tests expect one).  Every test is reported as passed, failed, or excluded
with its reason:

- ``pip/ensurepip``: it installs or checks pip (with_pip, upgrade_deps, ensurepip), which
  prefixlab never installs;
- ``EnvBuilder subclass hooks``: it subclasses EnvBuilder to hook its methods, which a
  command line cannot call;
- ``spawns -m venv itself``: it runs ``python -m venv`` in a subprocess, which the swap
  does not reach;
- ``does not call EnvBuilder.create``: it tests stdlib's own methods (ensure_directories,
  setup_python ...), not a build;
- ``skipped by the test``: the test skipped itself (another platform, a missing resource).

Usage: ``.venv/bin/python tools/test_venv_swap.py [--python P]... [--json] [--keep]``.
Exit status 0 when no applicable test failed, 1 otherwise, 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

PROGRAM = str(Path(sys.executable).with_name("prefixlab"))
TIMEOUT = 900.0

# Run by the interpreter under test, with argv: scratch directory, prefixlab program.
RUNNER = r'''
import inspect, json, os, subprocess, sys, unittest
scratch, program = sys.argv[1], sys.argv[2]
sys.path.insert(0, scratch)
import venv
import test_venv_copy as T

PIP_WORDS = ("with_pip=True", "ensurepip", "upgrade_deps", "upgrade_dependencies")
SPAWN_WORDS = ("'-m', 'venv'", '"-m", "venv"', "-m venv")
called = []


def swapped_create(self, env_dir):
    called.append(env_dir)
    if type(self) is not venv.EnvBuilder:
        raise unittest.SkipTest("excluded: EnvBuilder subclass hooks")
    if getattr(self, "with_pip", False) or getattr(self, "upgrade_deps", False):
        raise unittest.SkipTest("excluded: pip/ensurepip")
    target = os.path.abspath(os.fspath(env_dir))
    args = [program, "build", "venv", target, "--python", sys.executable,
            "--stdlib-compatible", "--quiet"]
    if not self.symlinks:
        args.append("--copies")
    if self.system_site_packages:
        args.append("--system-site-packages")
    if self.clear:
        args.append("--clear")
    if self.upgrade:
        args.append("--upgrade")
    prompt = getattr(self, "orig_prompt", self.prompt)
    if prompt is not None:
        args.append("--prompt=" + prompt)
    if hasattr(self, "scm_ignore_files") and not self.scm_ignore_files:
        args.append("--without-scm-ignore-files")
    if (not self.clear and not self.upgrade and os.path.isdir(target)
            and os.listdir(target)):
        args.append("--allow-existing")
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise ValueError(done.stderr.strip() or "exit status %d" % done.returncode)


venv.EnvBuilder.create = swapped_create


def static_reason(test):
    try:
        source = inspect.getsource(getattr(type(test), test._testMethodName))
    except (OSError, TypeError):
        return None
    if any(word in source for word in PIP_WORDS):
        return "pip/ensurepip"
    if "(venv.EnvBuilder)" in source or "EnvBuilder):" in source:
        return "EnvBuilder subclass hooks"
    if any(word in source for word in SPAWN_WORDS):
        return "spawns -m venv itself"
    return None


class Result(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.rows = []

    def row(self, test, outcome, reason=""):
        self.rows.append({"test": test.id().split(".", 1)[-1], "outcome": outcome,
                          "reason": reason})

    def addSuccess(self, test):
        if called:
            self.row(test, "passed")
        else:
            self.row(test, "excluded", "does not call EnvBuilder.create")

    def addFailure(self, test, err):
        self.row(test, "failed", self._exc_info_to_string(err, test).strip().splitlines()[-1])

    def addError(self, test, err):
        self.addFailure(test, err)

    def addSkip(self, test, reason):
        if reason.startswith("excluded: "):
            self.row(test, "excluded", reason[len("excluded: "):])
        else:
            self.row(test, "excluded", "skipped by the test: " + reason)

    def addExpectedFailure(self, test, err):
        self.row(test, "passed")

    def addUnexpectedSuccess(self, test):
        self.row(test, "failed", "unexpected success")


def tests_of(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from tests_of(item)
        else:
            yield item


result = Result()
for test in tests_of(unittest.defaultTestLoader.loadTestsFromModule(T)):
    reason = static_reason(test)
    if reason is not None:
        result.row(test, "excluded", reason)
        continue
    del called[:]
    test.run(result)
sys.stdout.write("PREFIXLAB-SWAP:" + json.dumps(result.rows) + "\n")
'''


@dataclass
class Report:
    """One interpreter's run: its rows (test, outcome, reason), or why it did not run."""

    python: str
    version: str
    rows: list[dict[str, str]] = field(default_factory=list)
    error: str = ""

    def count(self, outcome: str) -> int:
        return sum(r["outcome"] == outcome for r in self.rows)

    @property
    def failed(self) -> list[dict[str, str]]:
        return [r for r in self.rows if r["outcome"] == "failed"]


def stdlib_test_venv(python: str) -> Path | None:
    """The interpreter's own test/test_venv.py (None when its stdlib ships no test suite, as
    Debian's python3.X without libpython3.X-testsuite)."""
    code = "import sysconfig; print(sysconfig.get_paths()['stdlib'])"
    done = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True,
                          env={}, cwd="/", timeout=60)
    if done.returncode != 0:
        return None
    found = Path(done.stdout.strip()) / "test" / "test_venv.py"
    return found if found.is_file() else None


def run_one(python: str, version: str, scratch: Path, program: str = PROGRAM) -> Report:
    """Run the interpreter's test_venv.py with the swap, in ``scratch`` (a fresh directory)."""
    source = stdlib_test_venv(python)
    if source is None:
        return Report(python, version, error="its stdlib has no test/test_venv.py")
    shutil.copyfile(source, scratch / "test_venv_copy.py")  # read-only use of the stdlib
    (scratch / "runner.py").write_text(RUNNER)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
    env["XDG_CACHE_HOME"] = str(scratch / "cache")
    env["TMPDIR"] = str(scratch)
    try:
        done = subprocess.run([python, "-B", str(scratch / "runner.py"), str(scratch), program],
                              capture_output=True, text=True, cwd=scratch, env=env,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return Report(python, version, error=f"did not finish within {TIMEOUT:g}s")
    for line in done.stdout.splitlines():
        if line.startswith("PREFIXLAB-SWAP:"):
            return Report(python, version, rows=json.loads(line[len("PREFIXLAB-SWAP:"):]))
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return Report(python, version, error=f"the runner failed: {last}")


def targets(requested: Sequence[str]) -> list[tuple[str, str]]:
    """(path, version) of each interpreter to run: the ones requested, else every in-scope
    one found here."""
    from prefixlab.impl.host import requests
    from prefixlab.impl.host.interpreters import discover

    found = [i for i in discover() if i.in_scope and i.constants is not None]
    if not requested:
        return [(i.path, "%d.%d.%d" % i.version) for i in found if i.version]
    chosen = []
    for text in requested:
        choice = requests.resolve(text, discover=lambda: found)
        path = choice.python if "/" in choice.python else shutil.which(choice.python)
        real = os.path.realpath(path or choice.python)
        match = [i for i in found if i.real_path == real]
        if not match or match[0].version is None:
            raise SystemExit(f"test_venv_swap: --python {text}: not an in-scope interpreter "
                             "found here")
        chosen.append((match[0].path, "%d.%d.%d" % match[0].version))
    return chosen


def table(report: Report) -> str:
    head = f"CPython {report.version} ({report.python})"
    if report.error:
        return f"{head}: not run: {report.error}"
    lines = [head,
             f"  {'passed':>8} {report.count('passed'):4}",
             f"  {'failed':>8} {report.count('failed'):4}",
             f"  {'excluded':>8} {report.count('excluded'):4}"]
    width = max((len(r["test"]) for r in report.rows), default=0)
    for row in sorted(report.rows, key=lambda r: (r["outcome"] != "failed", r["test"])):
        if row["outcome"] == "passed":
            continue
        lines.append(f"    {row['outcome']:8} {row['test']:{width}}  {row['reason']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", action="append", default=[], metavar="P",
                        help="an interpreter (path, name on PATH or version request); "
                             "repeatable; default: every in-scope one found here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directories")
    args = parser.parse_args(argv)
    reports = []
    for python, version in targets(args.python):
        scratch = Path(tempfile.mkdtemp(prefix="venv-swap-"))
        try:
            reports.append(run_one(python, version, scratch))
        finally:
            if args.keep:
                print(f"scratch: {scratch}", file=sys.stderr)
            else:
                shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        print(json.dumps({"interpreters": [r.__dict__ for r in reports]}, indent=1))
    else:
        print("\n\n".join(table(r) for r in reports))
    return 1 if any(r.failed or r.error for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
