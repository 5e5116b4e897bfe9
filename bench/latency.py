"""How long does a prefixlab command take, next to the interpreter it is about?

    .venv/bin/python bench/latency.py [--python PATH] [--rounds N] [--slow-rounds K]
                                      [--limit 8] [--where]

Every row is a command run as a user runs it (the project venv's ``prefixlab``, stdout a pipe,
warm: prefixlab's own modules have their .pyc files and the interpreter's build constants are
in prefixlab's cache), timed from fork to exit.  The rows take turns in every round (the order
rotates from one round to the next, so that a load that comes and goes hits all alike); a
warm-up round comes first and is not kept.  Each row reports the median wall time of its
rounds, the minimum, the median CPU time (user + system, of the command and its children)
and its ratio to the bare start of the same interpreter in the same rounds:

  bare start            PY -S -c pass: the floor, the interpreter the commands model
  project venv          .venv/bin/python -c pass: the floor under prefixlab's own start
                        (the venv's python with site, its .pth files included)
  --help                prefixlab --help (click's command line, no model)
  predict               prefixlab predict PY -c pass                    (judged)
  explain               prefixlab explain PY -c pass                    (judged)
  predict --json        the same prediction as JSON, trace included
  explain --compare     explain, then PY run for real (a probe), side by side
  diff                  prefixlab diff PY -c pass: a prediction and a probe
  predict --no-cache    PY run once to learn its build constants afresh
  build check           prefixlab build check of a 2-package `build env` (runs the
                        environment's interpreter a few dozen times; --slow-rounds rounds)

Runs of the rows that read prefixlab's cache are dropped (and counted) when the ctime of the
interpreter or its libpython moved before or during them: the cached constants are checked
against it, so the command digested the binary again (a hard link made or removed elsewhere
does that).

When a current mypyc build of the model exists (``make compiled``, or ``--compiled DIR``),
predict and explain are timed with it too (the rows marked "compiled"; the others run the
Python package, PREFIXLAB_COMPILED=0).  The target: a warm predict and a warm explain each
take at most ``--limit`` (8) times the bare start, by median wall time in the same run; the
exit status is 1 when one does not, or a row failed.  ``--where`` adds where a warm
predict's time goes (``-X importtime``, the least of five runs: the modules with the most
import time of their own).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pkgtrees  # noqa: E402  (bench/pkgtrees.py)

from prefixlab.impl.host import compiled  # noqa: E402
from prefixlab.impl.host.interpreters import Interpreter, discover  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PREFIXLAB = str(BIN / "prefixlab")
BARE = "bare start (PY -S -c pass)"
JUDGED = ("predict", "explain")
PACKAGES = 2


@dataclass
class Row:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    """Set for this row only (a value of None in ``unset`` removes it)."""
    unset: tuple[str, ...] = ()
    ok_codes: tuple[int, ...] = (0,)
    slow: bool = False
    """Run only in the first --slow-rounds rounds."""
    judged: bool = False
    cached: bool = True
    """It reads prefixlab's cache of build constants, checked against the interpreter's ctime
    (every prefixlab row but --help, --no-cache and build check)."""
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    failure: str = ""
    dropped: int = 0
    """Runs not kept: the interpreter's files changed (ctime) before or during them."""


class Watch:
    """The status-change times (ctime) of the interpreter's binary and libpython.  prefixlab's
    cached constants are checked against them, so a hard link made or removed elsewhere (a
    test staging an installation) makes the next command digest the binary again: a run
    after or during such a change is dropped, and counted."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = [p for p in dict.fromkeys(paths) if p]
        self.seen = self.now()

    def now(self) -> tuple[int, ...]:
        times = []
        for path in self.paths:
            try:
                times.append(os.stat(path).st_ctime_ns)
            except OSError:
                times.append(-1)
        return tuple(times)

    def changed(self) -> bool:
        """Whether they changed since last asked."""
        now = self.now()
        moved, self.seen = now != self.seen, now
        return moved


def pick_python(found: Sequence[Interpreter], wanted: str | None) -> Interpreter:
    usable = [i for i in found if i.in_scope and not i.reason]
    if wanted is not None:
        for interp in found:
            if wanted in (interp.path, interp.real_path) or \
                    os.path.realpath(wanted) == interp.real_path:
                return interp
        raise SystemExit(f"{wanted}: not an interpreter prefixlab found here")
    if not usable:
        raise SystemExit("no in-scope interpreter found here")
    return usable[-1]  # the newest


def rows_for(python: str, env_dir: str, packages: Sequence[str], compiled_root: str | None
             ) -> list[Row]:
    python_model = {"PREFIXLAB_COMPILED": "0"}
    ours = ("PYTHONDONTWRITEBYTECODE",)  # prefixlab's own .pyc files, as installed
    package_args = [arg for root in packages for arg in ("--package", root)]
    rows = [
        # The interpreter under test writes nothing into its installation.
        Row(BARE, [python, "-S", "-c", "pass"], {"PYTHONDONTWRITEBYTECODE": "1"},
            cached=False),
        Row("project venv (.venv/bin/python -c pass)", [sys.executable, "-c", "pass"],
            unset=ours, cached=False),
        Row("--help", [PREFIXLAB, "--help"], python_model, ours, cached=False),
        Row("predict", [PREFIXLAB, "predict", python, "-c", "pass"], python_model, ours,
            judged=True),
        Row("explain", [PREFIXLAB, "explain", python, "-c", "pass"], python_model, ours,
            judged=True),
    ]
    if compiled_root is not None:
        with_build = {"PREFIXLAB_COMPILED": compiled_root}
        rows += [Row("predict, compiled model", [PREFIXLAB, "predict", python, "-c", "pass"],
                     with_build, ours),
                 Row("explain, compiled model", [PREFIXLAB, "explain", python, "-c", "pass"],
                     with_build, ours)]
    rows += [
        Row("predict --json", [PREFIXLAB, "predict", "--json", python, "-c", "pass"],
            python_model, ours),
        Row("explain --compare", [PREFIXLAB, "explain", "--compare", python, "-c", "pass"],
            python_model, ours, ok_codes=(0, 1)),
        Row("diff", [PREFIXLAB, "diff", python, "-c", "pass"], python_model, ours,
            ok_codes=(0, 1)),
        Row("predict --no-cache", [PREFIXLAB, "predict", "--no-cache", python, "-c", "pass"],
            python_model, ours, cached=False),  # digests the binary every time anyway
        Row(f"build check ({PACKAGES}-package env)",
            [PREFIXLAB, "build", "check", env_dir, *package_args], python_model, ours,
            ok_codes=(0, 1), slow=True, cached=False),  # runs the interpreters it checks
    ]
    return rows


def run(row: Row, base_env: dict[str, str], watch: Watch | None = None) -> None:
    """Run the row's command once; keep its times unless it failed, or it reads prefixlab's
    cache and the interpreter's files changed since the last run or during this one."""
    before = watch.changed() if watch is not None else False
    env = {k: v for k, v in base_env.items() if k not in row.unset}
    env.update(row.env)
    start = time.perf_counter()
    process = subprocess.Popen(row.argv, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/")
    assert process.stderr is not None
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if process.returncode not in row.ok_codes:
        text = err.decode("utf-8", "replace").strip().splitlines()
        row.failure = f"exit status {process.returncode}: {(text or [''])[-1][:120]}"
        return
    during = watch.changed() if watch is not None else False
    if row.cached and (before or during):
        row.dropped += 1
        return
    row.wall.append(wall * 1000)
    row.cpu.append((usage.ru_utime + usage.ru_stime) * 1000)


def make_env(python: str, interp: Interpreter, scratch: str) -> tuple[str, list[str]]:
    """A build env of PACKAGES generated packages for `build check` (bench/pkgtrees.py)."""
    assert interp.version is not None
    minor = f"{interp.version[0]}.{interp.version[1]}"
    packages = pkgtrees.write_packages(os.path.join(scratch, "packages"), PACKAGES, minor)
    target = os.path.join(scratch, "env")
    done = subprocess.run([PREFIXLAB, "-q", "build", "env", target, "--python", python,
                           *[a for p in packages for a in ("--package", p)]],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"build env for the build check row failed: {done.stderr.strip()}")
    return target, packages


def where(python: str, base_env: dict[str, str], runs: int = 5, top: int = 15) -> str:
    """-X importtime of warm predicts: the modules with the most import time of their own (each
    module's least over ``runs`` runs, which a loaded machine inflates least)."""
    env = {k: v for k, v in base_env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PREFIXLAB_COMPILED"] = "0"
    least: dict[str, int] = {}
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-X", "importtime", PREFIXLAB, "predict", python,
                               "-c", "pass"], capture_output=True, text=True, env=env, cwd="/")
        for line in done.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
            if match:
                least[match[4]] = min(least.get(match[4], 1 << 62), int(match[1]))
    total = sum(least.values())
    own = sum(us for name, us in least.items() if name.startswith("prefixlab.model"))
    lines = [f"Where a warm predict's imports go (-X importtime, least of {runs} runs; "
             f"{len(least)} modules, {total / 1000:.1f} ms of their own, "
             f"{own / 1000:.1f} ms in prefixlab.model; the measuring inflates them):"]
    for name, us in sorted(least.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"  {us / 1000:6.2f} ms  {name}")
    return "\n".join(lines)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="the interpreter under test (default: the newest here)")
    parser.add_argument("--rounds", type=int, default=21, help="rounds kept (default 21)")
    parser.add_argument("--slow-rounds", type=int, default=3,
                        help="rounds that include the build check (default 3)")
    parser.add_argument("--limit", type=float, default=8.0,
                        help="predict and explain: at most this many bare starts (default 8)")
    parser.add_argument("--compiled", metavar="DIR",
                        help="the mypyc build to time beside the Python package (default: the "
                             "checkout's build/mypyc, when it is current)")
    parser.add_argument("--where", action="store_true",
                        help="add where a warm predict's import time goes")
    args = parser.parse_args(argv)

    interp = pick_python(discover(), args.python)
    python = interp.path
    compiled_root = os.path.abspath(args.compiled or compiled.default_root())
    why_not = compiled.why_not_usable(compiled_root)
    base_env = dict(os.environ)
    base_env.pop("PREFIXLAB_COMPILED", None)
    scratch = tempfile.mkdtemp(prefix="bench-latency-", dir=ROOT / "build")
    try:
        env_dir, packages = make_env(python, interp, scratch)
        rows = rows_for(python, env_dir, packages, None if why_not else compiled_root)
        watch = Watch([os.path.realpath(python),
                       (interp.constants.library if interp.constants else None) or ""])
        for row in rows:  # the warm-up round: .pyc files, cached constants
            run(row, base_env)
            row.wall.clear()
            row.cpu.clear()
        watch.changed()
        for number in range(args.rounds):
            turn = number % len(rows)
            for row in rows[turn:] + rows[:turn]:
                if row.failure or (row.slow and number >= args.slow_rounds):
                    continue
                run(row, base_env, watch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    version = "%d.%d.%d" % interp.version if interp.version else "?"
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "?"
    print(f"prefixlab command latency: CPython {version} ({python}), commit {commit}, "
          f"{args.rounds} rounds (build check: {min(args.slow_rounds, args.rounds)}), "
          f"load average {load}")
    print(f"compiled model ({compiled_root}): "
          + ("current, timed in the rows marked compiled" if not why_not
             else f"not timed ({why_not})"))
    bare = median(next(r for r in rows if r.name == BARE).wall)
    bare_cpu = median(next(r for r in rows if r.name == BARE).cpu)
    header = f"{'row':40} {'median ms':>10} {'min ms':>8} {'CPU ms':>8} {'x bare':>7} " \
             f"{'x bare CPU':>10}  verdict"
    print(header)
    print("-" * len(header))
    failed = False
    for row in rows:
        if row.failure:
            failed = True
            print(f"{row.name:40} FAILED: {row.failure}")
            continue
        if not row.wall:
            failed = True
            print(f"{row.name:40} no run kept: {row.dropped} dropped (the interpreter's ctime "
                  "moved around each)")
            continue
        wall, cpu = median(row.wall), median(row.cpu)
        ratio = wall / bare
        verdict = ""
        if row.judged:
            met = ratio <= args.limit
            failed = failed or not met
            verdict = f"{'met' if met else 'NOT MET'} (<= {args.limit:g}x)"
        elif row.name.endswith("compiled model"):
            verdict = "shown" if ratio <= args.limit else f"shown (> {args.limit:g}x)"
        if row.dropped:
            verdict += (f"{'; ' if verdict else ''}{row.dropped} "
                        f"run{'s' if row.dropped > 1 else ''} dropped")
        print(f"{row.name:40} {wall:10.1f} {min(row.wall):8.1f} {cpu:8.1f} {ratio:7.2f} "
              f"{cpu / bare_cpu:10.2f}  {verdict}".rstrip())
    if args.where:
        print()
        print(where(python, base_env))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
