"""How close do the real-interpreter campaigns come to the spawn limit?

    .venv/bin/python bench/campaign.py [--python PATH] [--workers W] [--cases N]
                                       [--shard-size K] [--bare-seconds S]
                                       [--conform-budget S] [--builder NAME] [--no-conform]

One run, one interpreter (default: the system's /usr/bin/python3 when it is in scope, else the
first in-scope interpreter found here; --python picks another), W workers (default: the
cores this process may use).  Rows, in the order they run:

  bare starts        INTERPRETER -S -c pass, back to back in W threads for S seconds: the
                     parallel bare start rate, measured before every chunk of the sweep,
                     after its last, and after the conformance campaign; each piece of
                     campaign is held against the mean of the measures just before and
                     after it, so that a load that comes and goes is in both
  sweep              the real-interpreter sweep (prefixlab.impl.checks.campaign.sweep,
                     jobs=W) on N generated cases in shards of K, in chunks of W shards (a
                     child process each): materialize the layout, run the interpreter (the
                     probe, then `which` against the real importlib), predict, compare.
                     Rate: cases over the time from a chunk's first case to its last (the
                     workers' start-up is shown apart); the chunks' ratios are printed
  conform            prefixlab conform BUILDER --python INTERPRETER --jobs W, budget S
                     (impl/conform/campaign.run): stage, builder, observer, probes, model.
                     Rate: every case run (search, spread and confirmation) over the whole
                     campaign's time, worker start-up included

Interpreter starts per case are counted, not assumed: each campaign is run a second time
under ``strace -f -e trace=execve`` (the sweep on the same cases; the conformance search with
half the budget), and every process whose last successful execve ran a CPython binary (ELF
holding Py_BytesMain; a case's file gone by then is one) is a start, the
campaign's own workers (multiprocessing's spawn) and the traced command excepted.  Wrappers,
shells and pyenv shims that exec an interpreter count once, as the interpreter.

    spawn limit = bare start rate / starts per case
    ratio       = campaign cases per second / spawn limit

Target: a ratio of at least 0.80 (exit status 1 otherwise; judged on the sweep, and on the
conformance row too with --judge-conform).  CPU columns (getrusage of the campaign's process
tree) show where the time goes: a case's interpreter runs are not bare starts (site, the
probe's sysconfig, the which oracle), which sets a floor no campaign change removes; see
bench/README.md.  Absolute times are for reference: compare rows of one run.
"""

from __future__ import annotations

import argparse
import ast
import json
import mmap
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TARGET = 0.80
HERE = Path(__file__).resolve()


# -- the bare start rate ----------------------------------------------------------------------
@dataclass(frozen=True)
class Bare:
    starts: int
    seconds: float
    cpu: float
    """CPU seconds of the starts (children) and of this process meanwhile."""

    @property
    def rate(self) -> float:
        return self.starts / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.starts * 1000


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bare(python: str, workers: int, seconds: float) -> Bare:
    """``python -S -c pass`` back to back in ``workers`` threads for ``seconds``."""
    counts = [0] * workers
    end = time.monotonic() + seconds
    env = {"PATH": "/usr/bin:/bin"}

    def loop(k: int) -> None:
        while time.monotonic() < end:
            subprocess.run([python, "-S", "-c", "pass"], env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            counts[k] += 1

    cpu = _cpu()
    start = time.monotonic()
    threads = [threading.Thread(target=loop, args=(k,)) for k in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Bare(sum(counts), time.monotonic() - start, _cpu() - cpu)


# -- the campaigns, each in a child process -----------------------------------------------------
def _child_sweep(args: argparse.Namespace) -> dict[str, Any]:
    from prefixlab.impl.checks import campaign
    from prefixlab.impl.host.interpreters import discover

    interp = next(i for i in discover() if i.real_path == args.python)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="prefixlab-bench-sweep-") as where:
        # With --directory, the shards already there are skipped: a chunk of a sweep.
        done = campaign.sweep([interp], total=args.cases, shard_size=args.shard_size,
                              directory=Path(args.directory or where),
                              log=open(os.devnull, "w"), jobs=args.workers)
    seconds = time.monotonic() - start
    first = min(s.started for s in done)
    last = max(s.ended for s in done)
    return {"cases": sum(s.cases for s in done), "seconds": seconds, "steady": last - first,
            "startup": first - start,
            "agreed": sum(s.agreed for s in done),
            "cpu_self": sum(s.cpu[0] for s in done), "cpu_children": sum(s.cpu[1] for s in done)}


def _child_conform(args: argparse.Namespace) -> dict[str, Any]:
    from prefixlab.impl.conform import bases as basing
    from prefixlab.impl.conform import builders, campaign
    from prefixlab.model.conform.placement import PLACEMENTS

    chosen = basing.bases([args.python])
    ran = campaign.run(builders.adapter(args.builder), chosen, PLACEMENTS,
                       budget=args.conform_budget, seed=0, jobs=args.workers)
    cases = len(ran.search.results) + len(ran.reported)
    return {"cases": cases, "seconds": ran.seconds, "steady": ran.seconds, "startup": 0.0,
            "findings": sorted(" ".join(filter(None, (r.found.key.finding, r.found.key.version,
                                                      r.found.key.layer)))
                               for r in ran.reported)}


def campaign_run(kind: str, args: argparse.Namespace, *, budget: float | None = None,
                 trace: str | None = None, cases: int | None = None,
                 directory: str | None = None) -> dict[str, Any]:
    """Run one campaign in a child process (under strace when ``trace`` names its output
    file); its JSON, with the CPU of its whole process tree.  ``cases`` and ``directory``:
    bring the sweep in ``directory`` to that many cases."""
    command = [sys.executable, str(HERE), "--child", kind, "--python", args.python,
               "--workers", str(args.workers),
               "--cases", str(cases if cases is not None else args.cases),
               "--shard-size", str(args.shard_size), "--builder", args.builder,
               "--conform-budget", str(budget if budget is not None else args.conform_budget)]
    if directory is not None:
        command += ["--directory", directory]
    if trace is not None:
        command = ["strace", "-f", "--seccomp-bpf", "-q", "-s", "64", "-e", "trace=execve",
                   "-e", "signal=none", "-o", trace, *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    data["cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return data


# -- counting interpreter starts ----------------------------------------------------------------
_STRING = r'"((?:[^"\\]|\\.)*)"'
_EXECVE = re.compile(r"^(\d+) +execve\(" + _STRING + r", (.*)$")
_RESUMED = re.compile(r"^(\d+) +<\.\.\. execve resumed>.*= (-?\d+)")
_ENDED = re.compile(r"^(\d+) +\+\+\+ (exited|killed)")


def _unescape(text: str) -> str:
    """strace's quoting of a path (C escapes, \\xNN and octal) back to the name."""
    data = text.encode("latin-1", "backslashreplace")
    try:
        raw = ast.literal_eval('b"' + data.decode("latin-1").replace('"', '\\"') + '"')
    except (ValueError, SyntaxError):
        return text
    assert isinstance(raw, bytes)
    return raw.decode("utf-8", "surrogateescape")


_KNOWN: dict[str, bool] = {}


def is_cpython(path: str) -> bool:
    """An ELF file holding CPython's main (Py_BytesMain, 3.8+).  A file no longer there (a
    case's scratch directory is gone) or named relative to a directory we do not know is
    one: in these campaigns the files a case executes are its interpreters (hard links, links
    and copies of them) and scripts and wrappers, which exec again (a hop, not counted)."""
    if not path.startswith("/"):
        return True
    if path not in _KNOWN:
        try:
            with open(path, "rb") as handle:
                if handle.read(4) != b"\x7fELF":
                    _KNOWN[path] = False
                else:
                    handle.seek(0)
                    with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                        _KNOWN[path] = data.find(b"Py_BytesMain") >= 0
        except FileNotFoundError:
            return True
        except (OSError, ValueError):
            _KNOWN[path] = False
    return _KNOWN[path]


@dataclass(frozen=True)
class Counted:
    starts: int
    """Interpreter starts of the cases."""
    machinery: int
    """The campaign's own worker processes (multiprocessing's spawn and its tracker)."""
    by_binary: dict[str, int]


def count_starts(trace: str) -> Counted:
    """Interpreter starts in an ``strace -f -e trace=execve -q`` log: each process's last
    successful execve, when it ran a CPython binary (an exec followed by another in the same
    process was a hop: a wrapper, a shell, a shim); the traced command's own process is
    left out."""
    last: dict[str, tuple[str, str]] = {}
    pending: dict[str, tuple[str, str]] = {}
    ended: list[tuple[str, str]] = []
    root: str | None = None
    with open(trace, encoding="latin-1") as handle:
        for line in handle:
            matched = _EXECVE.match(line)
            if matched:
                pid, path, rest = matched.group(1), _unescape(matched.group(2)), matched.group(3)
                if root is None:
                    root = pid
                if rest.endswith("<unfinished ...>"):
                    pending[pid] = (path, rest)
                elif rest.rstrip().endswith("= 0"):
                    last[pid] = (path, rest)
                continue
            matched = _RESUMED.match(line)
            if matched:
                pid = matched.group(1)
                if pid in pending and matched.group(2) == "0":
                    last[pid] = pending.pop(pid)
                continue
            matched = _ENDED.match(line)
            if matched and matched.group(1) in last:
                pid = matched.group(1)
                if pid != root:
                    ended.append(last[pid])
                del last[pid]
    ended += [image for pid, image in last.items() if pid != root]
    starts = machinery = 0
    by_binary: dict[str, int] = {}
    for path, argv in ended:
        if not is_cpython(path):
            continue
        if "from multiprocessing" in argv:
            machinery += 1
            continue
        starts += 1
        name = os.path.basename(path)
        by_binary[name] = by_binary.get(name, 0) + 1
    return Counted(starts, machinery, by_binary)


# -- the report ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    name: str
    cases: int
    seconds: float
    starts_per_case: float
    bare_rate: float
    cpu_ms: float
    """CPU per case, the campaign's processes and the interpreters they ran together."""
    interpreter_cpu_ms: float | None
    """The interpreters' share (None: not measured apart)."""
    note: str

    @property
    def rate(self) -> float:
        return self.cases / self.seconds

    @property
    def limit(self) -> float:
        return self.bare_rate / self.starts_per_case

    @property
    def ratio(self) -> float:
        return self.rate / self.limit

    def floor(self, bare_cpu_ms: float) -> float | None:
        """The ratio of a campaign that did no work of its own (its cases' interpreter runs
        alone, on CPU-bound cores): starts x bare CPU over the interpreters' CPU."""
        if self.interpreter_cpu_ms is None:
            return None
        return self.starts_per_case * bare_cpu_ms / self.interpreter_cpu_ms


def sweep_in_chunks(args: argparse.Namespace) -> tuple[dict[str, Any], list[float],
                                                      list[Bare]]:
    """The sweep in chunks of W shards (one worker process per shard), a bare measure before
    each chunk and after the last: each chunk is held against the bare rate around it, so
    a load that comes and goes within the run is in both.  The sweep's totals (its bare rate
    the chunks' references weighted by their time), each chunk's cases per second over its
    bare starts per second (times the starts per case: its ratio), and the bare measures."""
    chunk = args.workers * args.shard_size
    bares = [bare(args.python, args.workers, args.bare_seconds)]
    parts: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="prefixlab-bench-sweep-") as where:
        for total in range(chunk, args.cases + chunk, chunk):
            parts.append(campaign_run("sweep", args, cases=min(total, args.cases),
                                      directory=where))
            bares.append(bare(args.python, args.workers, args.bare_seconds))
    references = [(before.rate + after.rate) / 2 for before, after in zip(bares, bares[1:])]
    steady = sum(p["steady"] for p in parts)
    totals: dict[str, Any] = {
        name: sum(p[name] for p in parts)
        for name in ("cases", "steady", "startup", "agreed", "cpu_self", "cpu_children")}
    totals["bare_rate"] = sum(p["steady"] * r for p, r in zip(parts, references)) / steady
    ratios = [p["cases"] / p["steady"] / r for p, r in zip(parts, references)]
    return totals, ratios, bares


def default_python() -> str:
    from prefixlab.impl.host.interpreters import discover

    found = [i for i in discover() if i.in_scope and i.constants is not None]
    if not found:
        raise SystemExit("no in-scope interpreter found here")
    system = os.path.realpath("/usr/bin/python3")
    return next((i.real_path for i in found if i.real_path == system), found[0].real_path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="the interpreter (default: see the module doc)")
    parser.add_argument("--workers", type=int,
                        default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                        else os.cpu_count() or 1)
    parser.add_argument("--cases", type=int, default=400, help="sweep cases (default 400)")
    parser.add_argument("--shard-size", type=int, default=50)
    parser.add_argument("--bare-seconds", type=float, default=3.0,
                        help="seconds of each bare measure (default 3)")
    parser.add_argument("--conform-budget", type=float, default=40.0)
    parser.add_argument("--builder", default="venv")
    parser.add_argument("--no-conform", action="store_true")
    parser.add_argument("--judge-conform", action="store_true",
                        help="the conformance row must reach the target too")
    parser.add_argument("--child", choices=("sweep", "conform"), help=argparse.SUPPRESS)
    parser.add_argument("--directory", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.python is None:
        args.python = default_python()
    args.python = os.path.realpath(args.python)
    if args.child is not None:
        result = _child_sweep(args) if args.child == "sweep" else _child_conform(args)
        print(json.dumps(result))
        return 0
    if shutil.which("strace") is None:
        print("bench/campaign.py: strace is needed to count interpreter starts", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    print(f"interpreter {args.python}; {args.workers} workers; load average {load:.2f}",
          flush=True)
    sweep, chunks, bares = sweep_in_chunks(args)
    print(f"sweep: {sweep['cases']} cases in {sweep['steady']:.1f} s, in {len(chunks)} "
          "chunks, a bare measure before each and after the last", flush=True)
    conform = None
    if not args.no_conform:
        conform = campaign_run("conform", args)
        bares.append(bare(args.python, args.workers, args.bare_seconds))
        print(f"conform: {conform['cases']} cases in {conform['seconds']:.1f} s; bare "
              f"{bares[-2].rate:.1f}/s before, {bares[-1].rate:.1f}/s after", flush=True)
    with tempfile.TemporaryDirectory(prefix="prefixlab-bench-trace-") as where:
        campaign_run("sweep", args, trace=f"{where}/sweep")
        sweep_count = count_starts(f"{where}/sweep")
        conform_count = None
        if conform is not None:
            counted = campaign_run("conform", args, budget=args.conform_budget / 2,
                                   trace=f"{where}/conform")
            conform_count = (count_starts(f"{where}/conform"), counted["cases"])
    rows = [Row("sweep", sweep["cases"], sweep["steady"],
                sweep_count.starts / sweep["cases"], sweep["bare_rate"],
                (sweep["cpu_self"] + sweep["cpu_children"]) / sweep["cases"] * 1000,
                sweep["cpu_children"] / sweep["cases"] * 1000,
                f"{sweep['agreed']}/{sweep['cases']} agree; the workers' start-up "
                f"({sweep['startup']:.1f} s in all) not counted; ratio by chunk "
                + " ".join(f"{c * sweep_count.starts / sweep['cases']:.2f}" for c in chunks))]
    if conform is not None and conform_count is not None:
        counted_starts, counted_cases = conform_count
        rows.append(Row(f"conform {args.builder}", conform["cases"], conform["seconds"],
                        counted_starts.starts / counted_cases,
                        (bares[-2].rate + bares[-1].rate) / 2,
                        conform["cpu"] / conform["cases"] * 1000, None,
                        f"starts counted on {counted_cases} cases ("
                        + ", ".join(f"{n} {c}" for n, c in sorted(counted_starts.by_binary.items()))
                        + f"); findings: {', '.join(conform['findings']) or 'none'}"))
    bare_cpu = sum(b.cpu for b in bares) / sum(b.starts for b in bares) * 1000
    print()
    print(f"{'row':<14} {'cases':>6} {'s':>6} {'cases/s':>8} {'starts/case':>11} "
          f"{'bare/s':>7} {'limit/s':>8} {'ratio':>6} {'CPU ms/case':>15} {'floor':>6}")
    for row in rows:
        interp = "" if row.interpreter_cpu_ms is None else f"{row.interpreter_cpu_ms:.1f} / "
        floor = row.floor(bare_cpu)
        print(f"{row.name:<14} {row.cases:>6} {row.seconds:>6.1f} {row.rate:>8.2f} "
              f"{row.starts_per_case:>11.2f} {row.bare_rate:>7.1f} {row.limit:>8.2f} "
              f"{row.ratio:>6.2f} {interp + f'{row.cpu_ms:.1f}':>15} "
              f"{'-' if floor is None else f'{floor:.2f}':>6}")
    print(f"\nA bare start takes {bare_cpu:.2f} ms of CPU ({sum(b.starts for b in bares)} "
          "starts).  CPU ms/case: the interpreters' share / all of it; floor: the ratio of a "
          "campaign doing no work of its own.")
    for row in rows:
        print(f"{row.name}: {row.note}")
    judged = rows if args.judge_conform else rows[:1]
    passed = all(row.ratio >= TARGET for row in judged)
    print(f"\nload average now {os.getloadavg()[0]:.2f} (at the start {load:.2f}); verdict: "
          + ("PASS" if passed else "BELOW TARGET")
          + f" (target: {', '.join(r.name for r in judged)} at {TARGET:.2f} of the spawn limit)")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
