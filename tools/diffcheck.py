"""A behaviour fence for refactoring: the model's full answers on a fixed set of cases.

    python tools/diffcheck.py cases FILE [--per-interpreter N] [--seed S]
    python tools/diffcheck.py run FILE OUT
    python tools/diffcheck.py compare BEFORE AFTER [--show N]

``cases`` generates start-up cases with the public strategies for every in-scope interpreter
found here and writes the cases themselves (layout nodes, invocation, build constants), not
seeds: a later change to the strategies cannot change what is compared.  ``run`` predicts
every case purely (bound under a fixed root, no disk) and writes everything a prediction
says: the predict JSON (trace steps with their text and values, code not run, install),
the probes, the behaviour-table fields asked, the search path, the stdlib directory, and the
plain-text explanation with its graph.  ``compare`` reports, field by field, how many cases
differ and shows the first differences; it exits 1 when any case differs.

Files are gzip-compressed JSON.  ``tools/diffcheck-cases.json.gz`` is the fixed set of
record (600 cases for each of the seven interpreters found here when it was made), so that a
restructuring is checked as::

    python tools/diffcheck.py run tools/diffcheck-cases.json.gz build/before.json.gz
    ... the change ...
    python tools/diffcheck.py run tools/diffcheck-cases.json.gz build/after.json.gz
    python tools/diffcheck.py compare build/before.json.gz build/after.json.gz
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

ROOT = "/w"
"""Where every case is bound: a fixed path, so outputs compare across runs."""


def _read(path: str) -> Any:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _write(path: str, data: Any) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(data, handle, sort_keys=True, ensure_ascii=True)


# -- the cases ------------------------------------------------------------------------------
def _constants_json(constants: Any) -> dict[str, Any]:
    return dataclasses.asdict(constants)


def _constants_from(data: dict[str, Any]) -> Any:
    from prefixlab.model.world.build import BuildConstants

    fields = dict(data)
    fields["version"] = tuple(fields["version"])
    for name in ("builtin_modules", "frozen_always", "extension_suffixes"):
        fields[name] = tuple(fields[name])
    fields["frozen_modules"] = tuple(tuple(f) for f in fields["frozen_modules"])
    return BuildConstants(**fields)


def make_cases(per_interpreter: int, at_seed: int) -> dict[str, Any]:
    from hypothesis import HealthCheck, Phase, given, seed, settings

    from prefixlab.impl.checks.campaign import case_to_json, target_for
    from prefixlab.impl.host.interpreters import discover
    from prefixlab.model.strategies.startup import Case, cases

    builds: dict[str, Any] = {}
    out: list[dict[str, Any]] = []
    for interp in discover():
        if not (interp.in_scope and interp.constants):
            continue
        key = f"{interp.constants.version_text}:{interp.real_path}"
        builds[key] = _constants_json(interp.constants)
        found: list[Case] = []

        @seed(at_seed)
        @settings(max_examples=per_interpreter, phases=[Phase.generate], database=None,
                  deadline=None, suppress_health_check=list(HealthCheck))
        @given(cases(target_for(interp)))
        def collect(case: Case) -> None:
            found.append(case)

        collect()
        out.extend({"build": key, "case": case_to_json(case)} for case in found)
        print(f"{key}: {len(found)} cases", file=sys.stderr)
    return {"builds": builds, "cases": out}


# -- the answers ----------------------------------------------------------------------------
def answers(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    from prefixlab.impl.checks.campaign import case_from_json
    from prefixlab.impl.render.narrate import explain
    from prefixlab.impl.render.text import render_plain
    from prefixlab.model.world import World
    from prefixlab.model.startup.predict import predict

    builds = {key: _constants_from(value) for key, value in data["builds"].items()}
    for item in data["cases"]:
        bound = case_from_json(item["case"]).at(ROOT)
        constants = builds[item["build"]]
        world = World(bound.layout, {p: constants for p in bound.binaries})
        outcome = predict(world, bound.invocation)
        expl = explain(outcome, world.fs, graph=True)
        yield {
            "predict": outcome.to_json(with_trace=True),
            "probes": [list(map(_jsonable, probe)) for probe in outcome.trace.probes],
            "asked": list(outcome.trace.asked),
            "row": outcome.trace.row,
            "module_search_paths": list(outcome.module_search_paths),
            "stdlib_dir": outcome.stdlib_dir,
            "explain": render_plain(expl),
            "graph": expl.mermaid,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


# -- the comparison -------------------------------------------------------------------------
def _fields(answer: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Each answer as (field name, value), the trace split into its parts so that a report
    says which part differed."""
    for key, value in answer.items():
        if key != "predict":
            yield key, value
            continue
        for name, part in value.items():
            if name != "trace":
                yield f"predict.{name}", part
                continue
            yield "predict.trace.rule", [s["rule"] for s in part]
            yield "predict.trace.row", [s["row"] for s in part]
            yield "predict.trace.detail", [s["detail"] for s in part]
            yield "predict.trace.values", [s["values"] for s in part]


def compare(before: list[dict[str, Any]], after: list[dict[str, Any]],
            show: int) -> tuple[Counter[str], list[str]]:
    differing: Counter[str] = Counter()
    examples: list[str] = []
    for index, (old, new) in enumerate(zip(before, after, strict=True)):
        old_fields, new_fields = dict(_fields(old)), dict(_fields(new))
        for name in sorted(old_fields.keys() | new_fields.keys()):
            a, b = old_fields.get(name, "<absent>"), new_fields.get(name, "<absent>")
            if a != b:
                differing[name] += 1
                if len(examples) < show:
                    examples.append(f"case {index}, {name}:\n  before {a!r:.600}\n"
                                    f"  after  {b!r:.600}")
    return differing, examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/diffcheck.py")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("cases", help="generate and write the cases")
    make.add_argument("file")
    make.add_argument("--per-interpreter", type=int, default=600)
    make.add_argument("--seed", type=int, default=20261207)
    run = sub.add_parser("run", help="predict every case and write the answers")
    run.add_argument("file")
    run.add_argument("out")
    cmp = sub.add_parser("compare", help="which fields differ between two runs")
    cmp.add_argument("before")
    cmp.add_argument("after")
    cmp.add_argument("--show", type=int, default=5)
    args = parser.parse_args(argv)

    if args.command == "cases":
        data = make_cases(args.per_interpreter, args.seed)
        _write(args.file, data)
        print(f"{args.file}: {len(data['cases'])} cases, {len(data['builds'])} interpreters")
        return 0
    if args.command == "run":
        results = list(answers(_read(args.file)))
        _write(args.out, results)
        print(f"{args.out}: {len(results)} answers")
        return 0
    before, after = _read(args.before), _read(args.after)
    differing, examples = compare(before, after, args.show)
    print(f"{len(before)} cases compared")
    if not differing:
        print("identical: no field differs")
        return 0
    print("fields that differ (cases):")
    for name, count in sorted(differing.items()):
        print(f"  {name}: {count}")
    for example in examples:
        print(example)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
