"""Regenerate README's conformance matrix: run `prefixlab conform` on each builder and write
the table between the matrix markers of README.md (`make conformance`).

Rows are builders (stdlib venv once per interpreter, the others over every interpreter
together), columns the venv promises, cells ``pass`` or ``FAIL <case id>`` (the versions it
failed on, for a row over several interpreters).  The header says when it was made, with
which budget and seed, and the versions of the tools.  The tests never run this: it takes
minutes per builder.

    python tools/conformance_matrix.py [--budget SECONDS] [--seed N] [--jobs N]
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
START = "<!-- conformance-matrix:start -->"
END = "<!-- conformance-matrix:end -->"
PROGRAM = str(Path(sys.executable).with_name("prefixlab"))


def conform(builder: str, *, budget: float, seed: int, jobs: int,
            python: str | None = None) -> dict[str, Any]:
    args = [PROGRAM, "conform", builder, "--budget", str(budget), "--seed", str(seed),
            "--jobs", str(jobs), "--json"]
    if python is not None:
        args += ["--python", python]
    done = subprocess.run(args, capture_output=True, text=True, cwd=REPO)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def promises(runs: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for data in runs:
        for name in data["table"]:
            seen.setdefault(name, None)
    return list(seen)


def cell(data: dict[str, Any], promise: str, versions: list[str]) -> str:
    by_version = data["table"].get(promise, {})
    failed = [v for v in versions if by_version.get(v, {}).get("failed")]
    cases = sorted({by_version[v]["case"] for v in failed if by_version[v].get("case")})
    if failed:
        where = "" if len(versions) == 1 else f" ({', '.join(failed)})"
        return f"FAIL {', '.join(cases) or '-'}{where}"
    held = sum(by_version.get(v, {}).get("held", 0) for v in versions)
    return "pass" if held else "-"


def tool_version(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    except OSError:
        return "not installed"
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


def _word(text: str, n: int) -> str:
    words = text.split()
    return words[n] if len(words) > n else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    options = parser.parse_args()
    found = json.loads(subprocess.run([PROGRAM, "interpreters", "--json"], capture_output=True,
                                      text=True, check=True).stdout)
    interps = [i for i in found["interpreters"] if i.get("in_scope")]
    rows: list[tuple[str, dict[str, Any], list[str]]] = []
    for interp in interps:
        data = conform("venv", budget=options.budget, seed=options.seed, jobs=options.jobs,
                       python=interp["path"])
        rows.append((f"venv ({interp['version']})", data,
                     [i["version"] for i in data["interpreters"]]))
        print(f"venv {interp['version']}: {data['counts']}", file=sys.stderr)
    for builder in ("venv-copies", "uv", "virtualenv", "prefixlab"):
        data = conform(builder, budget=options.budget, seed=options.seed, jobs=options.jobs)
        rows.append((builder, data, [i["version"] for i in data["interpreters"]]))
        print(f"{builder}: {data['counts']}", file=sys.stderr)
    names = promises([r[1] for r in rows])
    today = datetime.date.today().isoformat()
    bin_dir = Path(sys.executable).parent
    lines = [START, "",
             f"Made {today} by `make conformance` (budget {options.budget:g} s per row, seed "
             f"{options.seed}); prefixlab {rows[0][1]['prefixlab']}, "
             f"{tool_version([str(bin_dir / 'uv'), '--version'])}, "
             f"virtualenv {_word(tool_version([str(bin_dir / 'virtualenv'), '--version']), 1)}, "
             f"interpreters {', '.join(i['version'] for i in interps)}.", "",
             "| builder | " + " | ".join(f"`{n}`" for n in names) + " |",
             "|---|" + "---|" * len(names)]
    for title, data, versions in rows:
        lines.append(f"| {title} | " + " | ".join(cell(data, n, versions) for n in names) + " |")
    lines += ["", END]
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{README}: no {START} ... {END} markers")
    README.write_text(pattern.sub(lambda m: "\n".join(lines), text), encoding="utf-8")
    print(f"{README}: matrix written ({len(rows)} rows)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
