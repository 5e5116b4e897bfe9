"""Memory and time of predict and explain on a large .pth file, beside the real interpreter.

    .venv/bin/python bench/memory.py                 # 60 MB .pth, the newest 3.11+ here
    .venv/bin/python bench/memory.py --size-mb 4 --python /usr/bin/python3.11

A venv of the interpreter (symlinked, as ``python -m venv --symlinks`` makes it) gets a .pth
file of ``--size-mb`` megabytes: comments, blank lines, a directory that exists (again and
again) and a new missing directory every fifth line, so that site stats millions of paths.
Each command runs in a child of its own measuring child, whose
``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the command's peak resident set alone.
Rows: the real interpreter (its sys.path is the answer), prefixlab on an empty .pth (the
baseline: prefixlab's own cost), then predict and explain on the large one.  predict must
give the real sys.path and both must stay under ``--budget-mb`` (200 MB); the exit status
is 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from prefixlab.impl.host.interpreters import discover

PREFIXLAB = str(Path(sys.executable).with_name("prefixlab"))
ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}

# Runs ARGV with its output to a file; prints seconds and the child's peak RSS in KiB.
MEASURE = r"""
import json, resource, subprocess, sys, time
argv, out = json.loads(sys.argv[1]), sys.argv[2]
start = time.monotonic()
with open(out, "wb") as handle:
    code = subprocess.call(argv, stdout=handle, stdin=subprocess.DEVNULL)
seconds = time.monotonic() - start
print(json.dumps([code, seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))
"""


def measure(argv: list[str], out: Path, cwd: Path) -> tuple[int, float, int]:
    """(exit status, seconds, peak RSS in KiB) of ``argv`` run alone in a fresh child."""
    done = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(argv), str(out)],
                          cwd=cwd, env=ENV, capture_output=True, text=True, check=True)
    code, seconds, rss = json.loads(done.stdout)
    return int(code), float(seconds), int(rss)


def make_venv(root: Path, python: str, version: tuple[int, int]) -> tuple[Path, Path]:
    (root / "venv" / "bin").mkdir(parents=True)
    (root / "venv" / "bin" / "python").symlink_to(python)
    (root / "venv" / "pyvenv.cfg").write_text(
        f"home = {os.path.dirname(python)}\ninclude-system-site-packages = false\n")
    site = root / "venv" / "lib" / f"python{version[0]}.{version[1]}" / "site-packages"
    site.mkdir(parents=True)
    (site / "present").mkdir()
    return root / "venv" / "bin" / "python", site


def write_pth(path: Path, size: int) -> int:
    """A .pth of about ``size`` bytes; returns its line count."""
    kinds = ("# comment", "", "present", "missing-{}", "present")
    written = lines = 0
    with open(path, "w") as handle:
        while written < size:
            block = []
            for _ in range(10_000):
                block.append(kinds[lines % 5].format(lines) + "\n")
                lines += 1
            text = "".join(block)
            handle.write(text)
            written += len(text)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", help="the interpreter (default: the newest 3.11+ here)")
    parser.add_argument("--size-mb", type=float, default=60)
    parser.add_argument("--budget-mb", type=float, default=200)
    args = parser.parse_args()
    found = [i for i in discover() if i.in_scope and i.version and i.version[:2] >= (3, 11)]
    if args.python:
        found = [i for i in discover() if i.path == args.python or i.real_path == args.python]
    if not found or found[-1].version is None:
        print("no usable interpreter", file=sys.stderr)
        return 2
    interp = found[-1]
    with tempfile.TemporaryDirectory(prefix="prefixlab-bench-memory-") as scratch:
        root = Path(scratch)
        python, site = make_venv(root, interp.real_path, interp.version[:2])
        out = root / "out"
        common = ["--clear-env", *(f"--env={k}={v}" for k, v in ENV.items()), "--cwd",
                  str(root), str(python), "-c", "pass"]
        rows: list[tuple[str, int, float, int, str]] = []

        (site / "big.pth").write_text("")
        code, seconds, rss = measure([PREFIXLAB, "predict", "--json", *common], out, root)
        rows.append(("prefixlab predict, empty .pth (baseline)", code, seconds, rss, ""))

        lines = write_pth(site / "big.pth", int(args.size_mb * 1_000_000))
        size = (site / "big.pth").stat().st_size
        code, seconds, rss = measure(
            [str(python), "-c", "import sys, json; print(json.dumps(sys.path))"], out, root)
        real = json.loads(out.read_text().splitlines()[-1]) if code == 0 else None
        rows.append(("real interpreter", code, seconds, rss, f"{len(real or [])} entries"))

        code, seconds, rss = measure([PREFIXLAB, "predict", "--json", *common], out, root)
        answer = json.loads(out.read_text()) if code == 0 else {}
        agrees = answer.get("path") == real
        rows.append(("prefixlab predict", code, seconds, rss,
                     f"sys.path {'equal to' if agrees else 'DIFFERS from'} the real one"))

        code, seconds, rss = measure([PREFIXLAB, "explain", *common], out, root)
        rows.append(("prefixlab explain", code, seconds, rss,
                     f"{out.stat().st_size:,} bytes printed"))

    print(f"CPython {'.'.join(map(str, interp.version))} ({interp.real_path}); "
          f".pth of {size:,} bytes, {lines:,} lines; budget {args.budget_mb:g} MB")
    print(f"{'row':42} {'exit':>4} {'seconds':>8} {'max RSS MB':>10}  note")
    failed = not agrees
    for name, code, seconds, rss, note in rows:
        megabytes = rss / 1024
        over = name.startswith("prefixlab") and megabytes > args.budget_mb
        failed = failed or over or code != 0
        print(f"{name:42} {code:>4} {seconds:>8.2f} {megabytes:>10.1f}  {note}"
              + ("  OVER BUDGET" if over else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
