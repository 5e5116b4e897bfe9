"""Steps of an explanation: which rule fired, with which values, and what the model looked at.

The trace is prefixlab's only explanation format: ``explain`` renders it as prose, reports quote
it, the rule histogram counts it, and ``explain --graph`` draws the paths it probed.  Rules live
in one registry so that every step can name its rule, its stage and the source it comes from.

A step records its values by name and its detail as a str.format template over them
(``calc.step(R_LANDMARK, "from {start!r}: {prefix!r}", start=..., prefix=...)``); the text
is made when the step is read (:attr:`Step.detail`).  A prediction records a score of steps,
most predictions are never explained, and the repr of a path list costs more than the
decision it records; and a reader (a narrator, a report) takes the values it needs by name
instead of parsing the text back.
"""

from __future__ import annotations

# collections.abc's own classes, without importing the collections package (about a
# millisecond of a warm build venv's start-up)
from _collections_abc import Mapping

TYPE_CHECKING = False  # typing stays off a warm build venv's start-up (model/speedups.py)
if TYPE_CHECKING:
    from types import MappingProxyType
    from typing import Any, NamedTuple
else:
    from prefixlab.model.speedups import NamedTuple

    MappingProxyType = type(type.__dict__)  # what types.py defines it as, without loading it

# NamedTuples rather than frozen dataclasses: the same immutable values, without importing
# dataclasses (and inspect behind it) on a warm `build venv`'s start-up.


class Rule(NamedTuple):
    """A decision the model can take, named once."""

    id: str
    stage: str
    summary: str
    """What the rule does, in one sentence a newcomer can follow."""
    source: str
    """Where the fact comes from: file and function, version, issue."""


Values = Mapping[str, object]
"""A step's values by name.  They are held, not copied: a recorder passes values that do not
change later (Calc.step copies lists)."""

NO_VALUES: Values = MappingProxyType({})
"""The values of a step that records none (shared: immutable)."""


class Step(NamedTuple):
    """One decision taken: the rule, and what it found by name."""

    rule: Rule
    template: str
    """The detail as a str.format template whose fields are names of ``values``."""
    row: str = ""
    """The behaviour-table row that answered (e.g. '3.12'), where the rule is versioned."""
    values: Values = NO_VALUES
    """The values the decision found or produced, by name (e.g. {'prefix': '/usr'}): every
    field of the template, and any other value a reader may want."""

    @property
    def detail(self) -> str:
        """The decision in a line: the template filled in with the values."""
        return self.template.format_map(self.values)

    @classmethod
    def of(cls, rule: Rule, template: str, row: str = "", **values: object) -> Step:
        """A step with its values given by keyword (``Step.of(R_ENV, "env runs {program!r}",
        program=name)``)."""
        return cls(rule, template, row, values)


class Probe(NamedTuple):
    """One look at the filesystem: the helper used, the path as written, and the answer."""

    helper: str
    path: str
    result: str
    links: tuple[tuple[str, str], ...] = ()
    """Links the kernel followed to answer, as (physical link path, target)."""


ProbeRow = tuple[str, str, str, tuple[tuple[str, str], ...]]
"""A probe as recorded: (helper, path, result, links), the fields of :class:`Probe`."""


class Joined(tuple[object, ...]):
    """A sequence of values that a detail shows on one line, joined by ', ': ``{name}`` as
    their str, ``{name:r}`` as their reprs.  A reader sees a tuple (the JSON a list)."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        if spec == "r":
            return ", ".join(map(repr, self))
        if spec:
            raise ValueError(f"Joined takes the format spec 'r' or none, not {spec!r}")
        return ", ".join(map(str, self))


StepRow = tuple[Rule, str, str, Values]
"""A step as recorded: (rule, template, row, values), the fields of :class:`Step` (a Step is
one too).  Two traces compare equal when their rows do: the same rules, templates and
values."""


def json_value(value: object) -> Any:
    """A recorded value as JSON, the one conversion the trace JSON uses: None, bool, int and
    float as they are; a str (an Errno too) as its text; a list or tuple as a list; a mapping
    as an object with str keys; anything else (a path object, say) as its str()."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str.__str__(value)  # the text of a str subclass, not an enum's name
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    return str(value)


def values_json(values: Values) -> dict[str, Any]:
    """A step's values as a JSON object (see :func:`json_value`)."""
    return {name: json_value(value) for name, value in values.items()}


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
        return tuple(Step._make(row) for row in self.step_rows)

    @property
    def probes(self) -> tuple[Probe, ...]:
        return tuple(Probe._make(row) for row in self.probe_rows)

    def rules(self) -> tuple[str, ...]:
        """The ids of the rules that fired, in order (for histograms and reports)."""
        return tuple(row[0].id for row in self.step_rows)


RULES: dict[str, Rule] = {}
"""Every registered rule by id."""


def rule(id: str, stage: str, summary: str, source: str) -> Rule:
    """Register a rule and return it (used at module level by each stage)."""
    made = Rule(id, stage, summary, source)
    if id in RULES and RULES[id] != made:
        raise ValueError(f"rule {id!r} registered twice with different texts")
    RULES[id] = made
    return made
