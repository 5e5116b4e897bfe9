"""How fast are the reference builders?  `prefixlab build venv` against the usual venv makers,
and `prefixlab build env` against `cp -rs` of the same package trees, in one run, one table.

    .venv/bin/python bench/builders.py [--python PATH] [--repeat R] [--env-repeat R]
                                       [--sizes 10,100,1000] [--in-process N] [--scratch DIR]
                                       [--only venv|env]

Rows (medians of R runs, the contenders of a section taking turns in every round):
  venv  prefixlab build venv     the command, symlink mode, from the project venv, warm
        ... cold (empty cache)   the same, XDG_CACHE_HOME a new empty directory every round
        ... churned              the same, warm, TARGET in a new directory (under one where
                                 other entries come and go) from a new working directory
        python -m venv           INTERPRETER -m venv --without-pip (the same interpreter)
        virtualenv --no-seed     the pinned virtualenv (dev extras), app data in scratch, warm
        uv venv                  the pinned uv (dev extras), offline, cache in scratch, warm
        in process               plan + apply of a symlink-mode venv inside this process
  env   build env N              prefixlab build env with N generated packages (bench/pkgtrees.py),
                                 rebuilt into the same TARGET (its plan cached after the
                                 warm-up round)
        build env 10, planned    the same 10 into a new TARGET every round (the plan made
                                 every time; the interpreter's learning cached): shown
        cp -rs N                 cp -rs of the same N package trees into one directory
        build env 0              the same command with no package: the interpreter's own part,
                                 which the per-package (marginal) time subtracts
        python -m venv           again, taking turns with the env rows (build env 10's verdict)

Targets, each marked met / NOT MET (exit status 1 when one is not met).  Contenders that take
turns in the same rounds are compared on wall time; absolute thresholds and differences
between rows (the marginal time) on CPU time, which a loaded machine does not inflate:
  * build venv, as a command, has a lower median wall time than python -m venv --without-pip,
    warm, cold (empty cache) and churned;
  * build venv, warm, is within 1.2x of uv venv's median wall time;
  * build env of 10 packages, rebuilt, is within 1.2x of python -m venv's median wall time
    (the same planned every time is shown beside it);
  * plan + apply in process takes under 2 ms of CPU (median; wall time shown);
  * build env's time per package is flat: the marginal CPU time per package at the largest
    size is within 1.5x of that at the middle size (10 packages are too few to resolve against
    the fixed cost of a command and are shown only);
  * build env creates fewer filesystem entries than cp -rs for the same packages.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pkgtrees  # noqa: E402  (bench/pkgtrees.py)

from prefixlab.impl.host.interpreters import Interpreter, discover  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
IN_PROCESS_TARGET_MS = 2.0
FLAT_FACTOR = 1.5
UV_FACTOR = 1.2
"""A warm build venv within this factor of uv venv's wall time."""
ENV_FACTOR = 1.2
"""build env of 10 packages within this factor of python -m venv's wall time."""
ENV_SIZE = 10
PLANNED_ENV = f"build env {ENV_SIZE}, planned (a new TARGET each round)"
COLD = "prefixlab build venv cold (empty cache)"
CHURNED = "prefixlab build venv churned"
STDLIB = "python -m venv --without-pip"
STDLIB_ENV = "python -m venv --without-pip (env rounds)"
OURS_ENV = {"PYTHONDONTWRITEBYTECODE": ""}
"""prefixlab's own modules get their .pyc files in the warm-up round, as an installed package
has them (pip compiles at install; the editable install's link tree has none until a run
writes them, and PYTHONDONTWRITEBYTECODE=1 in the caller's environment would make every run
compile prefixlab from source).  Only the project venv's tree is written to."""


@dataclass
class Row:
    section: str
    name: str
    command: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """CPU seconds (user + system) of each run: the child's for a command, this process's in
    process.  Unlike wall time it does not grow while a loaded machine makes a run wait."""
    entries: int | None = None
    packages: int = 0
    note: str = ""
    failed: str = ""
    fresh: Fresh | None = None
    """Makes the row's round: its own TARGET, working directory and environment."""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")


# -- running ------------------------------------------------------------------------------------
class CommandFailed(Exception):
    pass


def run_timed(command: Sequence[str], env: Mapping[str, str], cwd: str) -> tuple[float, float]:
    """Wall time of one run of ``command`` (perf_counter around the child's whole life) and the
    CPU time of it and its children (getrusage of the waited-for children, before and after)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env={**os.environ, **env}, cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        last = (done.stderr.decode(errors="replace").strip().splitlines() or [""])[-1]
        raise CommandFailed(f"exit {done.returncode}: {last[:160]}")
    return elapsed, cpu


def remove(path: str) -> None:
    if os.path.lexists(path):
        shutil.rmtree(path)


class Fresh:
    """What changes from round to round for one row, made before its run, untimed: a new
    empty cache (``cold``: XDG_CACHE_HOME, where prefixlab keeps everything it learns), or
    churn (``churn``: TARGET in a new directory under ``where``, in which entries of other
    processes come and go between rounds, and a new working directory).  The previous
    round's directories are removed when the next is made."""

    def __init__(self, where: str, *, cold: bool = False, churn: bool = False,
                 same_cwd: bool = False) -> None:
        self.where, self.cold, self.churn, self.same_cwd = where, cold, churn, same_cwd
        self.made: list[str] = []
        self.others: list[str] = []
        os.makedirs(where, exist_ok=True)

    def round(self, default_cwd: str, default_target: str) -> tuple[str, str, dict[str, str]]:
        """(TARGET, working directory, environment) of the next round."""
        for path in self.made:
            shutil.rmtree(path, ignore_errors=True)
        self.made.clear()
        target, cwd = default_target, default_cwd
        env: dict[str, str] = {}
        if self.cold:
            cache = tempfile.mkdtemp(prefix="cache-", dir=self.where)
            self.made.append(cache)
            env["XDG_CACHE_HOME"] = cache
        if self.churn:
            # Other processes' temporaries: two new entries, the oldest ones gone.
            for _ in range(2):
                fd, other = tempfile.mkstemp(prefix="tmp", dir=self.where)
                os.close(fd)
                self.others.append(other)
            while len(self.others) > 6:
                os.unlink(self.others.pop(0))
            parent = tempfile.mkdtemp(prefix="tmp", dir=self.where)
            self.made.append(parent)
            if not self.same_cwd:
                cwd = tempfile.mkdtemp(prefix="project-", dir=self.where)
                self.made.append(cwd)
            target = os.path.join(parent, "venv")
        return target, cwd, env

    def close(self) -> None:
        for path in self.made:
            shutil.rmtree(path, ignore_errors=True)
        for path in self.others:
            os.unlink(path)
        self.made, self.others = [], []


def run_rounds(rows: Sequence[Row], rounds: int, cwd: str, make_target: Callable[[Row, int], str]) -> None:
    """``rounds`` rounds; in each every row runs once into a fresh target, timed, then the
    target is counted (first time) and removed, untimed; the disk is synced after each round.  Round -1 is a warm-up (caches of uv,
    virtualenv and prefixlab filled, the disk's metadata hot) and is not kept.  A row with
    ``fresh`` gets its TARGET, working directory and environment from it every round."""
    for index in range(-1, rounds):
        for row in rows:
            if row.failed:
                continue
            target, here = make_target(row, index), cwd
            extra: dict[str, str] = {}
            if row.fresh is not None:
                target, here, extra = row.fresh.round(cwd, target)
            remove(target)
            argv = [part.replace("{TARGET}", target) for part in row.command]
            try:
                elapsed, cpu = run_timed(argv, {**row.env, **extra}, here)
            except CommandFailed as error:
                row.failed = str(error)
                remove(target)
                continue
            if index >= 0:
                row.seconds.append(elapsed)
                row.cpu.append(cpu)
            if row.entries is None:
                row.entries = pkgtrees.count_entries(target)
            remove(target)
        # Untimed: what the round removed (cp -rs 1,000: 11,000 links) is written back now,
        # not during the next round's first rows, whose links it made two to three times
        # slower, in their CPU time too (the kernel's deferred work lands on the next process
        # that creates entries).  Within a round the rows keep their order and states.
        os.sync()


# -- the venv section ---------------------------------------------------------------------------
def venv_rows(python: str, scratch: str) -> list[Row]:
    quiet = {"PYTHONDONTWRITEBYTECODE": "1"}  # never write pycs into an interpreter under test
    uv_env = {"UV_OFFLINE": "1", "UV_NO_PYTHON_DOWNLOADS": "1", "UV_NO_CONFIG": "1",
              "UV_CACHE_DIR": os.path.join(scratch, "uv-cache")}
    venv_env = {"VIRTUALENV_OVERRIDE_APP_DATA": os.path.join(scratch, "virtualenv-app-data"),
                **quiet}
    ours = [str(BIN / "prefixlab"), "build", "venv", "{TARGET}", "--python", python]
    return [
        Row("venv", "prefixlab build venv", ours, OURS_ENV),
        Row("venv", COLD, ours, OURS_ENV, fresh=Fresh(os.path.join(scratch, "cold"), cold=True)),
        Row("venv", CHURNED, ours, OURS_ENV,
            fresh=Fresh(os.path.join(scratch, "churn"), churn=True)),
        Row("venv", "python -m venv --without-pip",
            [python, "-m", "venv", "--without-pip", "{TARGET}"], quiet),
        Row("venv", "virtualenv --no-seed",
            [str(BIN / "virtualenv"), "--quiet", "--no-seed", "--python", python, "{TARGET}"],
            venv_env, note=tool_version([str(BIN / "virtualenv"), "--version"])),
        Row("venv", "uv venv",
            [str(BIN / "uv"), "venv", "--quiet", "--python", python, "{TARGET}"],
            {**uv_env, **quiet},
            note=tool_version([str(BIN / "uv"), "--version"])),
    ]


def tool_version(command: Sequence[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "not installed (make dev)"
    return " ".join(out.split()[:2])


def in_process_venv(python: str, where: str, count: int, label: str = "") -> list[Row]:
    """Plan + apply of a symlink-mode venv in this process, ``count`` times (median), in the
    directory ``where``, after one untimed build that fills prefixlab's cache of what it
    learned about ``python`` (keyed by the request, TARGET included, so every build goes to
    the same TARGET, removed between builds, untimed).  Beside the whole, the pure planning
    and the writer alone."""
    suffix = f" ({label})" if label else ""
    whole = Row("venv", f"in process: plan + apply{suffix}")
    planning = Row("venv", f"... planning alone (plan_for){suffix}")
    applying = Row("venv", f"... writer alone (apply){suffix}")
    floor = Row("venv", f"... the same entries by bare os calls{suffix}")
    try:
        from prefixlab.impl.builders import venv as build_venv
        from prefixlab.impl.builders import writer
    except ImportError as error:
        whole.failed = f"prefixlab.impl.builders.venv cannot be imported ({error})"
        return [whole]
    target = os.path.join(where, "in-process", "venv")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    cwd = os.getcwd()
    env = dict(os.environ)
    options = build_venv.Options()
    command = build_venv.command_line(python, target, options)

    def timed(row: Row, action: Callable[[], object]) -> None:
        cpu, started = time.process_time(), time.perf_counter()
        action()
        row.seconds.append(time.perf_counter() - started)
        row.cpu.append(time.process_time() - cpu)

    try:
        remove(target)
        build_venv.build_venv(python, target, options, cwd=cwd, env=env)  # warm-up
        learned = build_venv.learn(python, target, options, cwd=cwd, env=env)
        whole.note = "learned from the cache" if learned.cached else "NOT from the cache"
        for _ in range(count):
            remove(target)
            timed(whole, lambda: build_venv.build_venv(python, target, options, cwd=cwd, env=env))
        whole.entries = pkgtrees.count_entries(target)
        planned = build_venv.plan_for(learned, target, options, cwd, command)
        for _ in range(count):
            timed(planning, lambda: build_venv.plan_for(learned, target, options, cwd, command))
        for _ in range(count):
            remove(target)
            timed(applying, lambda: writer.apply(planned.operations, target))
        for _ in range(count):
            remove(target)
            timed(floor, lambda: bare_writes(planned.operations, target))
        remove(target)
    except build_venv.BuildVenvError as error:
        whole.failed = str(error)
        return [whole]
    return [whole, planning, applying, floor]


def bare_writes(operations: Sequence[object], target: str) -> None:
    """The plan's entries made with one system call each, no staging, no checks: what this
    filesystem charges for the entries themselves (the floor under the writer's row)."""
    os.mkdir(target)
    for op in operations:
        path = os.path.join(target, op.path)  # type: ignore[attr-defined]
        kind = op.kind  # type: ignore[attr-defined]
        if kind == "mkdir":
            os.mkdir(path)
        elif kind == "link":
            os.symlink(op.target, path)  # type: ignore[attr-defined]
        elif kind == "write":
            with open(path, "xb") as handle:
                handle.write(op.data)  # type: ignore[attr-defined]
        else:
            raise ValueError(f"{kind}: not a symlink-mode venv operation")


def tmpfs_dir() -> str | None:
    """A directory on a tmpfs (/dev/shm), where the writer's system calls cost microseconds:
    the in-process rows there show prefixlab's own cost apart from the disk's."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK) and filesystem_type(shm) == "tmpfs":
        return tempfile.mkdtemp(prefix="prefixlab-bench-", dir=shm)
    return None


def profile_in_process(python: str, scratch: str, count: int, top: int = 20) -> str:
    """cProfile of ``count`` warm in-process venv builds (top functions by cumulative time)."""
    import cProfile
    import io
    import pstats

    from prefixlab.impl.builders import venv as build_venv

    target = os.path.join(scratch, "in-process", "profiled")
    profiler = cProfile.Profile()
    remove(target)
    build_venv.build_venv(python, target)
    for _ in range(count):
        remove(target)
        profiler.enable()
        build_venv.build_venv(python, target)
        profiler.disable()
    remove(target)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# -- the env section ----------------------------------------------------------------------------
def env_rows(python: str, package_roots: Sequence[str], sizes: Sequence[int],
             scratch: str) -> list[Row]:
    rows = [Row("env", "build env 0", [str(BIN / "prefixlab"), "build", "env", "{TARGET}",
                                      "--python", python], OURS_ENV, packages=0),
            # build env of a few packages is judged against python -m venv in the same rounds.
            Row("env", STDLIB_ENV, [python, "-m", "venv", "--without-pip", "{TARGET}"],
                {"PYTHONDONTWRITEBYTECODE": "1"})]
    for size in sizes:
        chosen = package_roots[:size]
        packages = [arg for root in chosen for arg in ("--package", root)]
        command = [str(BIN / "prefixlab"), "build", "env", "{TARGET}", "--python", python,
                   *packages]
        rows.append(Row("env", f"build env {size}", command, OURS_ENV, packages=size))
        if size == ENV_SIZE:  # shown beside it: the same, planned every time
            rows.append(Row("env", PLANNED_ENV, command, OURS_ENV,
                            fresh=Fresh(os.path.join(scratch, "planned"), churn=True,
                                        same_cwd=True)))
        # cp needs the target directory made first; `mkdir` is part of the timed command.
        rows.append(Row("env", f"cp -rs {size}",
                        ["sh", "-c", 'mkdir "$0" && exec cp -rs "$@" "$0"', "{TARGET}",
                         *(root + "/." for root in chosen)], packages=size))
    return rows


def marginal(rows: Mapping[str, Row], size: int, *, cpu: bool = False) -> float:
    """Seconds per package beyond the interpreter's own part (build env 0), by median wall
    time or (``cpu``) median CPU time."""
    big, zero = rows[f"build env {size}"], rows["build env 0"]
    if cpu:
        return (big.cpu_median - zero.cpu_median) / size
    return (big.median - zero.median) / size


# -- the table ----------------------------------------------------------------------------------
def fmt_ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:,.2f}"


def table(rows: Sequence[Row], base: Mapping[str, float]) -> str:
    """The one table.  ``x base``: the row's median wall time over its baseline's (python -m
    venv for the venv rows, cp -rs of the same packages for build env)."""
    by_name = {row.name: row for row in rows}
    lines = ["| row | runs | median ms | min ms | cpu ms | x base | entries | per package | note |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in rows:
        if row.failed:
            lines.append(f"| {row.name} | 0 | - | - | - | - | - | - | FAILED: {row.failed} |")
            continue
        ref = base.get(row.section, float("nan"))
        if row.name.startswith("build env ") and row.packages:
            cp = by_name.get(f"cp -rs {row.packages}")
            ref = cp.median if cp is not None and not cp.failed else float("nan")
        ratio = row.median / ref if ref == ref and ref > 0 else float("nan")
        per = ""
        if row.packages:
            per = f"{row.median / row.packages * 1e6:,.0f} µs"
            zero = by_name.get("build env 0")
            if row.name.startswith("build env ") and zero is not None and not zero.failed:
                per += (f" (marginal {marginal(by_name, row.packages) * 1e6:,.0f} µs, "
                        f"CPU {marginal(by_name, row.packages, cpu=True) * 1e6:,.0f} µs)")
        lines.append(
            f"| {row.name} | {len(row.seconds)} | {fmt_ms(row.median)} | "
            f"{fmt_ms(min(row.seconds))} | {fmt_ms(row.cpu_median)} | "
            f"{'-' if ratio != ratio else f'{ratio:.2f}'} | "
            f"{'-' if row.entries is None else f'{row.entries:,}'} | {per} | {row.note} |")
    return "\n".join(lines)


def mount_of(path: str) -> tuple[str, str]:
    """(type, mount point) of the mount ``path`` is on, from /proc/mounts."""
    best = ("?", "")
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as mounts:
            for line in mounts:
                fields = line.split()
                point = fields[1].rstrip("/") if len(fields) > 2 else ""
                if len(fields) > 2 and (path + "/").startswith(point + "/") and \
                        len(point) >= len(best[1]):
                    best = (fields[2], fields[1])
    except OSError:
        pass
    return best


def filesystem_type(path: str) -> str:
    return mount_of(os.path.realpath(path))[0]


def filesystem(path: str) -> str:
    """The mount ``path`` is on and what one mkdir and one symlink cost there now: on a shared
    machine the disk's latency can dominate every builder's time."""
    kind, point = mount_of(path)
    probe = tempfile.mkdtemp(prefix="fs-probe-", dir=path)
    started = time.perf_counter()
    for index in range(100):
        os.mkdir(os.path.join(probe, f"d{index}"))
    middle = time.perf_counter()
    for index in range(100):
        os.symlink("d0", os.path.join(probe, f"l{index}"))
    ended = time.perf_counter()
    shutil.rmtree(probe)
    return (f"{kind} on {point}; mkdir {(middle - started) * 1e4:,.0f} µs, "
            f"symlink {(ended - middle) * 1e4:,.0f} µs each (100 of each, now)")


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="the interpreter under test (default: the newest here)")
    parser.add_argument("--repeat", type=int, default=15, help="rounds of the venv commands")
    parser.add_argument("--env-repeat", type=int, default=5, help="rounds of the env commands")
    parser.add_argument("--sizes", default="10,100,1000", help="package counts for build env")
    parser.add_argument("--in-process", type=int, default=200,
                        help="in-process venv builds timed")
    parser.add_argument("--scratch", help="where to build; kept, with its generated packages "
                        "(default: a new directory under build/, removed afterwards)")
    parser.add_argument("--only", choices=("venv", "env"))
    parser.add_argument("--profile", action="store_true",
                        help="add a cProfile of the in-process venv builds")
    args = parser.parse_args(argv)
    sizes = sorted(int(part) for part in args.sizes.split(","))

    interp = pick_python(discover(), args.python)
    python = interp.path
    minor = "%d.%d" % (interp.version or (0, 0))[:2]
    if args.scratch:
        os.makedirs(args.scratch, exist_ok=True)
    else:
        os.makedirs(ROOT / "build", exist_ok=True)
    # By default on the project's own disk (build/ is ignored by git), not in TMPDIR: a /tmp
    # under watch or on another device would time the directory rather than the builders.
    scratch = os.path.realpath(args.scratch or tempfile.mkdtemp(prefix="bench-builders-",
                                                                dir=ROOT / "build"))
    print(f"interpreter   {python} ({'.'.join(map(str, interp.version or ()))}, "
          f"{interp.source})")
    print(f"prefixlab     {BIN / 'prefixlab'} (runs on {sys.executable})")
    print(f"scratch       {scratch}")
    print(f"filesystem    {filesystem(scratch)}")
    print(f"load average  {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores)")

    rows: list[Row] = []
    profiled = ""
    base: dict[str, float] = {}
    work = os.path.join(scratch, "work")
    os.makedirs(work, exist_ok=True)
    try:
        if args.only in (None, "venv"):
            venv = venv_rows(python, scratch)
            try:
                run_rounds(venv, args.repeat, work,
                           lambda row, i: os.path.join(work, f"venv-{venv.index(row)}"))
            finally:
                for row in venv:
                    if row.fresh is not None:
                        row.fresh.close()
            rows += venv
            rows += in_process_venv(python, scratch, args.in_process,
                                    f"{filesystem_type(scratch)}, scratch")
            shm = tmpfs_dir() if filesystem_type(scratch) != "tmpfs" else None
            if shm is not None:
                try:
                    rows += in_process_venv(python, shm, args.in_process, "tmpfs")
                finally:
                    shutil.rmtree(shm, ignore_errors=True)
            if args.profile:
                profiled = profile_in_process(python, scratch, args.in_process)
            stdlib = next(row for row in venv if row.name == STDLIB)
            if not stdlib.failed:
                base["venv"] = stdlib.median
        if args.only in (None, "env"):
            started = time.perf_counter()
            roots = pkgtrees.write_packages(os.path.join(scratch, "packages"), max(sizes), minor)
            print(f"packages      {len(roots)} generated in {time.perf_counter() - started:.1f} s "
                  f"({sum(pkgtrees.count_entries(r) for r in roots):,} entries in all)")
            env = env_rows(python, roots, sizes, scratch)
            os.sync()  # untimed: the trees just written go to the disk now, not during the rows
            run_rounds(env, args.env_repeat, work,
                       lambda row, i: os.path.join(work, f"env-{env.index(row)}"))
            rows += env
    finally:
        if not args.scratch:
            shutil.rmtree(scratch, ignore_errors=True)

    print()
    print(table(rows, base))
    print()
    status = report(rows, sizes)
    if profiled:
        print()
        print(profiled)
    return status


def report(rows: Sequence[Row], sizes: Sequence[int]) -> int:
    by_name = {row.name: row for row in rows}
    verdicts: list[tuple[str, bool | None, str]] = []

    ours, stdlib = by_name.get("prefixlab build venv"), by_name.get(STDLIB)
    for name, label in (("prefixlab build venv", "build venv (warm)"),
                        (COLD, "build venv cold (empty cache)"),
                        (CHURNED, "build venv churned")):
        row = by_name.get(name)
        if row is None or stdlib is None:
            continue
        verdict = f"{label} faster than python -m venv"
        if row.failed or stdlib.failed:
            verdicts.append((verdict, None, "a row failed"))
        else:
            verdicts.append((verdict, row.median < stdlib.median,
                             f"{fmt_ms(row.median)} ms vs {fmt_ms(stdlib.median)} ms wall "
                             f"({row.median / stdlib.median:.2f}x); CPU "
                             f"{fmt_ms(row.cpu_median)} vs {fmt_ms(stdlib.cpu_median)} ms"))
    uv = by_name.get("uv venv")
    if ours and uv:
        verdict = f"build venv (warm) within {UV_FACTOR:g}x of uv venv"
        if ours.failed or uv.failed:
            verdicts.append((verdict, None, "a row failed"))
        else:
            verdicts.append((verdict, ours.median <= UV_FACTOR * uv.median,
                             f"{ours.median / uv.median:.2f}x uv's wall time "
                             f"({fmt_ms(ours.median)} vs {fmt_ms(uv.median)} ms), "
                             f"{ours.cpu_median / uv.cpu_median:.2f}x its CPU time"))
    few, stdlib_env = by_name.get(f"build env {ENV_SIZE}"), by_name.get(STDLIB_ENV)
    if few is not None and stdlib_env is not None:
        verdict = f"build env {ENV_SIZE} at most {ENV_FACTOR:g}x python -m venv"
        if few.failed or stdlib_env.failed:
            verdicts.append((verdict, None, "a row failed"))
        else:
            verdicts.append((verdict, few.median <= ENV_FACTOR * stdlib_env.median,
                             f"{few.median / stdlib_env.median:.2f}x "
                             f"({fmt_ms(few.median)} vs {fmt_ms(stdlib_env.median)} ms wall, "
                             "the same rounds)"))
        planned = by_name.get(PLANNED_ENV)
        if planned is not None and not planned.failed and not stdlib_env.failed:
            verdicts.append((f"(shown) {PLANNED_ENV}", None,
                             f"{planned.median / stdlib_env.median:.2f}x python -m venv "
                             f"({fmt_ms(planned.median)} ms): no plan cached for its TARGET, "
                             "the interpreter's learning is"))
    for inproc in (r for r in rows if r.name.startswith("in process: plan + apply")):
        where = inproc.name.partition("(")[2].rstrip(")") or "scratch"
        label = f"in process under {IN_PROCESS_TARGET_MS:g} ms ({where})"
        if inproc.failed:
            verdicts.append((label, None, inproc.failed))
        else:
            ms = inproc.cpu_median * 1000
            floor = by_name.get(inproc.name.replace("in process: plan + apply",
                                                    "... the same entries by bare os calls"))
            beneath = (f"; bare os calls for the same entries: {floor.cpu_median * 1000:.3f} ms"
                       if floor and not floor.failed and floor.seconds else "")
            verdicts.append((label, ms < IN_PROCESS_TARGET_MS,
                             f"{ms:.3f} ms CPU, {inproc.median * 1000:.3f} ms wall (medians)"
                             f"{beneath}"))

    env_ok = all(f"build env {n}" in by_name and not by_name[f"build env {n}"].failed
                 for n in sizes) and "build env 0" in by_name and not by_name["build env 0"].failed
    if len(sizes) >= 2 and "build env 0" in by_name:
        if not env_ok:
            failed = [r for r in rows if r.section == "env" and r.failed]
            verdicts.append(("build env per package flat", None,
                             failed[0].failed if failed else "a row is missing"))
        else:
            per = {n: marginal(by_name, n, cpu=True) for n in sizes}
            wall = {n: marginal(by_name, n) for n in sizes}
            shown = ", ".join(f"{n}: {per[n] * 1e6:,.0f}" for n in sizes)
            walls = ", ".join(f"{n}: {wall[n] * 1e6:,.0f}" for n in sizes)
            mid, big = sizes[-2], sizes[-1]
            verdicts.append((f"build env per package flat ({big} within {FLAT_FACTOR}x of {mid})",
                             0 < per[big] <= FLAT_FACTOR * per[mid],
                             f"marginal per package, µs CPU {shown}; wall {walls}"))
    if env_ok:
        zero = by_name["build env 0"].entries or 0
        for size in sizes:
            ours_e, cp_e = by_name[f"build env {size}"].entries, by_name.get(f"cp -rs {size}")
            if ours_e is None or cp_e is None or cp_e.failed or cp_e.entries is None:
                continue
            verdicts.append((f"build env {size} fewer entries than cp -rs",
                             ours_e - zero < cp_e.entries,
                             f"{ours_e - zero:,} for the packages ({ours_e:,} in all, "
                             f"{zero:,} the interpreter's) vs {cp_e.entries:,}"))

    width = max(len(v[0]) for v in verdicts) if verdicts else 0
    for name, met, detail in verdicts:
        mark = "met" if met else ("NOT MET" if met is False else "n/a")
        print(f"{name:{width}}  {mark:7}  {detail}")
    return 1 if any(met is False or (met is None and not name.startswith("(reported)"))
                    for name, met, _ in verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
