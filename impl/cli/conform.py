"""``prefixlab conform``: check a venv builder against the promises on generated placements
of every interpreter here, shrink each failure to a minimal case, save it as a case file and
print how to reproduce it."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from prefixlab.impl.cli.errors import EXIT_BAD_INPUT, EXIT_DIFFERENT, EXIT_OK
from prefixlab.model.conform.placement import OPT_IN, PLACEMENTS
from prefixlab.model.errors import BadInput

DEFAULT_BUDGET = 600.0


def _cases_dir(report_dir: str | None) -> str:
    if report_dir:
        return os.path.join(report_dir, "cases")
    from prefixlab.impl.host.interpreters import cache_dir

    return os.path.join(cache_dir(), "conform", "cases")


def _builder(name: str | None, template: str | None, kind: str) -> Any:
    from prefixlab.impl.conform import builders

    if (name is None) == (template is None):
        raise BadInput("name a BUILDER or give --cmd TEMPLATE (one of them)")
    if template is not None:
        return builders.check_template(template, kind)
    assert name is not None
    if kind == "env":
        from prefixlab.impl.conform import envcase

        if name not in envcase.FLAVOURS:
            raise BadInput(f"unknown env builder {name!r} (known: "
                           f"{', '.join(envcase.FLAVOURS)})")
        return envcase.builder(name)
    return builders.adapter(name, kind)


def _allowed(text: str | None) -> tuple[str, ...]:
    from prefixlab.model.conform.placement import DEFAULT_PLACEMENTS, parse_names

    if text is None:
        return DEFAULT_PLACEMENTS
    try:
        return parse_names(text)
    except ValueError as error:
        raise BadInput(f"--placements: {error}") from None


@click.command(name="conform", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("builder", required=False)
@click.option("--cmd", "template", metavar="TEMPLATE",
              help="A builder command for /bin/sh, with {python}, {target} and optionally "
                   "{system_site_packages}; with --kind env, {python}, {target} and "
                   "{packages} (the package directories). prefixlab shell-quotes them (do "
                   "not quote them).")
@click.option("--kind", type=click.Choice(["venv", "env"]), default="venv", show_default=True,
              help="What the builder makes.")
@click.option("--python", "pythons", multiple=True, metavar="P",
              help="A base interpreter: a path, a name on PATH or a version request (3.12, "
                   "3.12.1, cpython3.12); repeatable. Default: every in-scope interpreter "
                   "found here.")
@click.option("--placements", "placements", metavar="NAME,...",
              help="The placements that may be drawn (default: all but "
                   + ", ".join(OPT_IN) + "): " + ", ".join(PLACEMENTS) + ".")
@click.option("--budget", type=click.FloatRange(min=1), default=DEFAULT_BUDGET,
              show_default=True, help="Seconds for the builder, all interpreters together.")
@click.option("--seed", type=int, default=0, show_default=True, help="The search's seed.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (cases are sharded by seed).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--report", "report_dir", metavar="DIR",
              help="Write a Markdown report, the case files and a picture of each failing "
                   "layout (SVG, drawn by Graphviz) into DIR.")
@click.option("--replay", "replay_file", metavar="CASE",
              help="Run the case file CASE again here and say whether it still fails.")
@click.option("--database", "database", metavar="URL",
              help="A Hypothesis example database shared by workers of the same "
                   "configuration: a directory, or redis://HOST:PORT/DB (needs the redis "
                   "package). Its examples are tried first; the rest is drawn at random "
                   "(--seed is then not used).")
@click.option("--pool", "pool_url", metavar="URL",
              help="Also put each case file into this pool: a shared directory or a Redis "
                   "URL, where other machines pick them up (prefixlab conform --replay).")
@click.option("--strict", is_flag=True,
              help="Model-fidelity disagreements and hazards fail the run too.")
def conform_command(builder: str | None, template: str | None, kind: str,
                    pythons: tuple[str, ...], placements: str | None, budget: float, seed: int,
                    jobs: int, as_json: bool, report_dir: str | None, replay_file: str | None,
                    database: str | None, pool_url: str | None, strict: bool) -> int:
    """Check BUILDER (venv, venv-copies, virtualenv, uv, prefixlab) or a --cmd template;
    with --kind env, an environment builder (prefixlab-env, nix-classic, nix-297628,
    nix-297628-inherit, nix-inherit-argv0, nix-resolve-argv0, or a --cmd template) by the
    environment spec.

    Cases are drawn (an interpreter, a placement of it, with or without the base's
    site-packages), the builder is run, and the venv it made is judged by the venv promises
    on the real interpreter; the model's prediction is held against the same run. Each new
    failure is shrunk to a minimal case, saved as a case file and shown with a shell
    reproducer.

    Exit status: 0 every promise held; 1 a builder failure was found (or, with --strict, a
    model-fidelity disagreement); 2 bad input; 3 an internal error."""
    if replay_file is not None:
        return _replay(replay_file, as_json)
    made = _builder(builder, template, kind)
    allowed = _allowed(placements)
    from prefixlab.impl.conform import bases as basing
    from prefixlab.impl.conform import campaign, report

    chosen = basing.bases(pythons, announce=None if as_json else _announce)
    pool = None
    if pool_url is not None or database is not None:
        from prefixlab.impl.conform import pool as pooling

        pool = pooling.open_pool(pool_url) if pool_url is not None else None
        if database is not None:
            pooling.example_database(database)  # a bad URL is one line now, not in a worker
    if not chosen:
        raise BadInput("no in-scope interpreter found here (add some with PREFIXLAB_PYTHONS)")
    with _progress(budget, quiet=as_json) as progress:
        ran = campaign.run(made, chosen, allowed, budget=budget, seed=seed, jobs=jobs,
                           progress=progress, pictures=report_dir is not None,
                           database=database)
    saved = {r.id: report.save(r, _cases_dir(report_dir)) for r in ran.reported}
    if pool is not None:
        for r in ran.reported:
            pool.put(r.data)
    if report_dir is not None:
        from prefixlab.impl.conform import markdown

        markdown.write(report_dir, ran, saved, budget=budget, seed=seed)
    if as_json:
        data = report.to_json(ran.search, ran.reported, budget=budget, seed=seed,
                              elapsed=ran.seconds)
        data["case_files"] = saved
        click.echo(json.dumps(data, indent=1, ensure_ascii=False))
    else:
        _print(ran, saved)
    failed = any(r.kind in ("builder", "interpreter") for r in ran.reported)
    fidelity = any(r.kind == "fidelity" for r in ran.reported)
    hazards = any(result.hazards for result in ran.search.results.values())
    return EXIT_DIFFERENT if failed or (strict and (fidelity or hazards)) else EXIT_OK


def _announce(line: str) -> None:
    """The interpreter a --python request chose, on stderr (as build venv says it)."""
    click.echo(line, err=True)


def _print(ran: Any, saved: dict[str, str]) -> None:
    from prefixlab.impl.conform import report

    from prefixlab.impl.cli.main import _console

    lines = report.plain_lines(ran.search, ran.reported, saved)
    console = _console()  # rich on a terminal, as --color and NO_COLOR ask; else plain
    if console is not None:
        _print_rich(ran, lines, console)
        return
    for line in lines:
        click.echo(line)


def _print_rich(ran: Any, lines: list[str], console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    from prefixlab.impl.conform import report

    console.print(lines[0], markup=False)
    header, rows = report.table_rows(ran.search)
    table = Table(*header)
    for row in rows:  # values are text, never markup: a [bold] in a path stays as it is
        table.add_row(*(Text(c, style="red" if c.startswith("FAIL") else "") for c in row))
    console.print(table)
    body = lines[1 + len(rows) + 1:]
    for line in body:
        console.print(line, markup=False)


class _progress:
    """A rich progress bar on a terminal; plain lines on stderr otherwise (every failure
    found, and every 50 cases)."""

    def __init__(self, budget: float, quiet: bool) -> None:
        self.budget, self.quiet = budget, quiet
        self.bar: Any = None
        self.task: Any = None
        self.reported = 0

    def __enter__(self) -> Any:
        from prefixlab.impl.cli.main import global_options, stderr_console

        self.quiet = self.quiet or global_options().quiet
        if not self.quiet and sys.stderr.isatty():
            from rich.progress import Progress

            self.bar = Progress(transient=True, console=stderr_console())
            self.bar.start()
            self.task = self.bar.add_task("conform", total=None)
        return self.update

    def update(self, search: Any) -> None:
        found = len(search.found)
        if self.bar is not None:
            self.bar.update(self.task, description=f"{search.runs} cases, {found} failures")
            return
        if self.quiet:
            return
        if found > self.reported or search.runs % 50 == 0:
            self.reported = found
            click.echo(f"conform: {search.runs} cases, {found} failures found", err=True)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _replay(path: str, as_json: bool) -> int:
    from prefixlab.impl.conform import replaying

    outcome = replaying.replay_file(path)
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=1, ensure_ascii=False))
    else:
        for line in outcome.lines():
            click.echo(line)
    return EXIT_DIFFERENT if outcome.reproduced else EXIT_OK


__all__ = ["conform_command", "EXIT_BAD_INPUT"]
