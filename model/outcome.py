"""The Outcome: what an interpreter computes at start-up, as a predicted or observed value.

Field names are CPython's (PyConfig / sys).  ``path`` is sys.path as the running code sees it;
``warnings`` are the lines written to stderr before the code runs.  A probe of a real
interpreter fills the same fields (without the trace), so the two compare key by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from prefixlab.model.speedups import dataclass, field
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.startup.sitecode import CodeNotRun
from prefixlab.model.trace import Trace, values_json

Status = Literal["ok", "startup-failed", "exec-failed", "not-modelled"]

SCHEMA = 1

FIELDS = ("executable", "base_executable", "prefix", "base_prefix", "exec_prefix",
          "base_exec_prefix")


@dataclass(frozen=True)
class Failure:
    """Why there is no running interpreter: a kind (stable, for scripts) and a message."""

    kind: str
    message: str

    # Written out for the compiled build's speed (model/speedups.py).
    def __init__(self,
                 kind: str,
                 message: str) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "message", message)


_NO_TRACE = Trace()
"""The empty trace, shared (a Trace is immutable): the default of a written-out __init__."""


@dataclass(frozen=True)
class Outcome:
    status: Status
    invocation: Invocation
    executable: str | None = None
    base_executable: str | None = None
    prefix: str | None = None
    base_prefix: str | None = None
    exec_prefix: str | None = None
    base_exec_prefix: str | None = None
    path: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    error: Failure | None = None
    trace: Trace = field(default_factory=Trace)
    module_search_paths: tuple[str, ...] = ()
    """getpath's result, before sys.path[0] and site."""
    stdlib_dir: str | None = None
    version: str | None = None
    """The interpreter version predicted for (or observed)."""
    install: Mapping[str, str] | None = None
    """Where pip's default install puts files: sysconfig's default scheme and its purelib,
    platlib, scripts, data and include (prefixlab.model.startup.schemes.KEYS); None when start-up
    fails."""
    code_not_run: tuple[CodeNotRun, ...] = ()
    """Code site would run that the model does not (.pth import lines, sitecustomize,
    usercustomize), each with what it could change.  A probe does not report it."""

    # Written out for the compiled build's speed (model/speedups.py).
    def __init__(self,
                 status: Status,
                 invocation: Invocation,
                 executable: str | None = None,
                 base_executable: str | None = None,
                 prefix: str | None = None,
                 base_prefix: str | None = None,
                 exec_prefix: str | None = None,
                 base_exec_prefix: str | None = None,
                 path: tuple[str, ...] = (),
                 warnings: tuple[str, ...] = (),
                 error: Failure | None = None,
                 trace: Trace = _NO_TRACE,
                 module_search_paths: tuple[str, ...] = (),
                 stdlib_dir: str | None = None,
                 version: str | None = None,
                 install: Mapping[str, str] | None = None,
                 code_not_run: tuple[CodeNotRun, ...] = ()) -> None:
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "invocation", invocation)
        object.__setattr__(self, "executable", executable)
        object.__setattr__(self, "base_executable", base_executable)
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "base_prefix", base_prefix)
        object.__setattr__(self, "exec_prefix", exec_prefix)
        object.__setattr__(self, "base_exec_prefix", base_exec_prefix)
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "warnings", warnings)
        object.__setattr__(self, "error", error)
        object.__setattr__(self, "trace", trace)
        object.__setattr__(self, "module_search_paths", module_search_paths)
        object.__setattr__(self, "stdlib_dir", stdlib_dir)
        object.__setattr__(self, "version", version)
        object.__setattr__(self, "install", install)
        object.__setattr__(self, "code_not_run", code_not_run)

    def to_json(self, *, with_trace: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"schema": SCHEMA, "status": self.status}
        for name in FIELDS:
            data[name] = getattr(self, name)
        data["path"] = list(self.path)
        data["warnings"] = list(self.warnings)
        data["error"] = (None if self.error is None
                         else {"kind": self.error.kind, "message": self.error.message})
        data["version"] = self.version
        data["install"] = None if self.install is None else dict(self.install)
        data["invocation"] = self.invocation.to_json()
        if with_trace:  # a prediction: what it did not run, and why it says what it says
            data["code_not_run"] = [code.to_json() for code in self.code_not_run]
            data["trace"] = [
                {"rule": s.rule.id, "row": s.row, "detail": s.detail,
                 "values": values_json(s.values)}
                for s in self.trace.steps
            ]
        return data

    def comparable(self) -> dict[str, Any]:
        """The keys a prediction and an observation must agree on."""
        data = self.to_json(with_trace=False)
        del data["invocation"]
        del data["schema"]
        data["warnings"] = list(unpredicted_output_removed(self.warnings))
        if data["error"] is not None:
            # Messages of failed starts carry host detail (tracebacks); the kind must agree.
            data["error"] = {"kind": data["error"]["kind"]}
        if self.status != "ok":
            # A failed start prints no version; only a running interpreter reports one.
            del data["version"]
        return data


_PTH_ERROR = "Error processing line "
_PTH_ERROR_END = "Remainder of file ignored"


def unpredicted_output_removed(warnings: tuple[str, ...]) -> tuple[str, ...]:
    """The warnings without what code the model does not run printed: site's report of a
    failing .pth line keeps its first line ('Error processing line N of FILE:') and its last
    ('Remainder of file ignored'); the traceback between them is not predicted."""
    kept: list[str] = []
    inside = False
    for line in warnings:
        if inside:
            if line == _PTH_ERROR_END:
                kept.append(line)
                inside = False
            continue
        kept.append(line)
        inside = line.startswith(_PTH_ERROR) and line.endswith(":")
    return tuple(kept)
