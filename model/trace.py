"""Steps of an explanation: which rule fired, with which values, and what the model looked at.

The trace is prefixlab's only explanation format: ``explain`` renders it as prose, reports quote
it, the rule histogram counts it, and ``explain --graph`` draws the paths it probed.  Rules live
in one registry so that every step can name its rule, its stage and the source it comes from.

A start-up step's detail is kept as a str.format template and its arguments (``calc.step(rule,
"{!r} from {}", path, name)``) and formatted when the step is read: a prediction records a
score of steps, most predictions are never explained, and the repr of a path list costs more
than the decision it records.  Details formatted at once are f-strings that spell ``repr(x)``
out instead of ``{x!r}``: the compiled build (bench/compiled.py, mypyc) builds an f-string
natively only when no field has a conversion.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays off a warm build venv's start-up (model/speedups.py)
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from prefixlab.model.speedups import NamedTuple

# NamedTuples rather than frozen dataclasses: the same immutable values, without importing
# dataclasses (and inspect behind it) on a warm `build venv`'s start-up (issue 5's speed).


class Rule(NamedTuple):
    """A decision the model can take, named once."""

    id: str
    stage: str
    summary: str
    """What the rule does, in one sentence a newcomer can follow."""
    source: str
    """Where the fact comes from: file and function, version, issue."""


class Step(NamedTuple):
    """One decision taken: the rule and what it found."""

    rule: str
    detail: str
    row: str = ""
    """The behaviour-table row that answered (e.g. '3.12'), where the rule is versioned."""
    values: tuple[tuple[str, str], ...] = ()
    """The values the decision produced, by name (e.g. ('prefix', '/usr')), for tools that
    should not parse ``detail``."""


class Probe(NamedTuple):
    """One look at the filesystem: the helper used, the path as written, and the answer."""

    helper: str
    path: str
    result: str
    links: tuple[tuple[str, str], ...] = ()
    """Links the kernel followed to answer, as (physical link path, target)."""


ProbeRow = tuple[str, str, str, tuple[tuple[str, str], ...]]
"""A probe as recorded: (helper, path, result, links), the fields of :class:`Probe`."""


Deferred = tuple[str, tuple[object, ...]]
"""A detail not formatted yet: (template, arguments), read as ``template.format(*arguments)``.
The arguments are values the step holds (lists are copied when recorded)."""


StepRow = tuple[str, "str | Deferred", str, tuple[tuple[str, str], ...]]
"""A step as recorded: (rule, detail, row, values), the fields of :class:`Step` (a Step is
one too) but for a detail that may still be :data:`Deferred`.  Two traces compare equal when
their rows do: the same template and arguments, or the same text."""


def detail_text(detail: str | Deferred) -> str:
    if isinstance(detail, str):
        return detail
    template, args = detail
    return template.format(*args)


class Trace(NamedTuple):
    step_rows: tuple[StepRow, ...] = ()
    """The steps as recorded, read through :attr:`steps` (plain tuples, as the probes)."""
    probe_rows: tuple[ProbeRow, ...] = ()
    """The probes as plain tuples, read through :attr:`probes`: a prediction records a few
    dozen, and a plain tuple is what the compiled build makes cheaply (a tuple subclass is
    made through tuple.__new__, several times the cost)."""
    asked: tuple[str, ...] = ()
    """Behaviour-table fields consulted, sorted."""
    row: str = ""
    """The behaviour-table row used."""

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(Step(rule, detail_text(detail), row, values)
                     for rule, detail, row, values in self.step_rows)

    @property
    def probes(self) -> tuple[Probe, ...]:
        return tuple(Probe._make(row) for row in self.probe_rows)

    def rules(self) -> tuple[str, ...]:
        return tuple(row[0] for row in self.step_rows)


RULES: dict[str, Rule] = {}


def rule(id: str, stage: str, summary: str, source: str) -> str:
    """Register a rule and return its id (used at module level by each stage)."""
    if id in RULES and RULES[id] != Rule(id, stage, summary, source):
        raise ValueError(f"rule {id!r} registered twice with different texts")
    RULES[id] = Rule(id, stage, summary, source)
    return id
