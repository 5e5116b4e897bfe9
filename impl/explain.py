"""The trace as prose: numbered steps a newcomer can follow, each naming its rule, the
behaviour-table row that answered and where the rule comes from."""

from __future__ import annotations

from prefixlab.model.outcome import FIELDS, Outcome
from prefixlab.model.trace import RULES


def explain(outcome: Outcome) -> str:
    """A plain-text account of why the interpreter computes what it does."""
    invocation = outcome.invocation
    command = " ".join([invocation.program, *invocation.argv[1:]])
    header = f"How `{command}` finds itself"
    if outcome.version:
        row = outcome.trace.row
        header += f" (CPython {outcome.version}" + (f", behaviour row {row})" if row else ")")
    lines = [header, f"  argv[0] = {invocation.argv0!r}, cwd = {invocation.cwd!r}", ""]
    for number, step in enumerate(outcome.trace.steps, 1):
        rule = RULES.get(step.rule)
        summary = rule.summary if rule else step.rule
        lines.append(f"{number:2}. {summary}")
        if step.detail:
            lines.append(f"    {step.detail}")
        where = f"rule {step.rule}" + (f", row {step.row}" if step.row else "")
        lines.append(f"    [{where}; {rule.source if rule else 'unregistered rule'}]")
    lines.append("")
    lines.extend(result_lines(outcome))
    return "\n".join(lines)


def result_lines(outcome: Outcome) -> list[str]:
    lines = [f"Result: {outcome.status}"]
    if outcome.error is not None:
        lines.append(f"  error ({outcome.error.kind}): {outcome.error.message}")
    for name in FIELDS:
        value = getattr(outcome, name)
        if value is not None:
            label = "sys._base_executable" if name == "base_executable" else f"sys.{name}"
            lines.append(f"  {label:<22} {value!r}")
    if outcome.status == "ok":
        lines.append(f"  {'sys.path':<22} {list(outcome.path)!r}")
    for warning in outcome.warnings:
        lines.append(f"  warning: {warning}")
    return lines


def side_by_side(predicted: Outcome, observed: Outcome) -> str:
    """Predicted and observed values, one key per line, marking disagreements."""
    mine, theirs = predicted.comparable(), observed.comparable()
    lines = [f"{'':20} {'model':<50} real", ""]
    for key in sorted(set(mine) | set(theirs)):
        left, right = mine.get(key), theirs.get(key)
        mark = "  " if left == right else "!="
        lines.append(f"{mark} {key:<17} {_short(left):<50} {_short(right)}")
    return "\n".join(lines)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 48 else text[:45] + "..."
