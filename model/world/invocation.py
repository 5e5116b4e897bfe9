"""What is run, and what the kernel hands the program: the file, argv, environment and cwd."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prefixlab.model.speedups import dataclass

# glibc's execvp uses confstr(_CS_PATH) when PATH is unset (no cwd entry since glibc 2.24).
DEFAULT_EXEC_PATH = "/bin:/usr/bin"


@dataclass(frozen=True)
class Invocation:
    """A request to execute ``program`` with ``argv`` in ``env`` from ``cwd``.

    ``program`` is the file executed as typed: with a '/', it is used as is (relative to
    ``cwd``); without one, it is looked up on the environment's PATH as execvp does.
    """

    program: str
    argv: tuple[str, ...]
    """argv[0] first; argv[1:] is the interpreter's command line."""
    env: tuple[tuple[str, str], ...] = ()
    """The environment, in order; a name appears once."""
    cwd: str = "/"
    """The working directory as given (absolute; it may pass through links)."""

    @classmethod
    def make(
        cls,
        program: str,
        args: Sequence[str] = (),
        *,
        argv0: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str = "/",
    ) -> Invocation:
        """The usual way to build one: argv0 defaults to ``program`` as typed."""
        argv = (program if argv0 is None else argv0, *args)
        return cls(program, argv, tuple((env or {}).items()), cwd)

    @property
    def environ(self) -> dict[str, str]:
        return dict(self.env)

    @property
    def argv0(self) -> str:
        return self.argv[0] if self.argv else ""

    def to_json(self) -> dict[str, object]:
        return {
            "program": self.program,
            "argv": list(self.argv),
            "env": dict(self.env),
            "cwd": self.cwd,
        }
