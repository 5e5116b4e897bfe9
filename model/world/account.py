"""Who runs the interpreter: the facts about the process's user that site.py reads.

site.py asks the operating system two things the filesystem value does not hold: whether the
process runs set-uid or set-gid (then the user site is left alone), and, when HOME is unset,
the home directory of the passwd entry of the real uid (os.path.expanduser falls back to
pwd.getpwuid(os.getuid()).pw_dir).  They are inputs of a prediction, like the environment.
"""

from __future__ import annotations

from prefixlab.model.speedups import dataclass


@dataclass(frozen=True)
class Account:
    uid: int = 0
    euid: int = 0
    gid: int = 0
    egid: int = 0
    home: str | None = None
    """pw_dir of the real uid's passwd entry; None when the uid has no entry (expanduser
    then leaves '~' unexpanded)."""

    @property
    def set_id(self) -> bool:
        """The process runs set-uid or set-gid (site.check_enableusersite returns None)."""
        return self.uid != self.euid or self.gid != self.egid

    def to_json(self) -> dict[str, object]:
        return {"uid": self.uid, "euid": self.euid, "gid": self.gid, "egid": self.egid,
                "home": self.home}
