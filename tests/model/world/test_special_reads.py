"""Reading what is not a regular file, from what lstat recorded (never by opening it): a FIFO
blocks in open(2) until a writer comes (fifo(7)), a Unix socket cannot be opened (open(2):
ENXIO), /dev/null (char 1:3, Documentation/admin-guide/devices.txt) reads empty, any other
device is not modelled; a regular file over the read limit is not modelled, with its size."""

from __future__ import annotations

import pytest

from prefixlab.model.errors import NotModelled
from prefixlab.model.paths import getpath as h
from prefixlab.model.world import fs, kernel
from prefixlab.model.world.fs import Entry, Layout


class Specials:
    """A view with one directory /d holding special files by name."""

    def __init__(self, **specials: str) -> None:
        self.specials = specials

    def entry(self, path: str) -> Entry | None:
        if path in ("/", "/d"):
            return Entry("dir")
        name = path.rpartition("/")[2]
        return Entry("other", 0o644, special=self.specials[name]) if (
            path == f"/d/{name}" and name in self.specials) else None

    def read(self, path: str) -> bytes:
        raise AssertionError(f"{path}: opened")

    def children(self, path: str) -> tuple[str, ...]:
        return tuple(sorted(self.specials)) if path == "/d" else ("d",) if path == "/" else ()


VIEW = Specials(fifo="fifo", sock="socket", null=fs.NULL_DEVICE, zero="char 1:5",
                disk="block 8:0")


def test_fifo_blocks() -> None:
    with pytest.raises(fs.ReadBlocks):
        kernel.read_file(VIEW, "/d/fifo")


def test_socket_cannot_be_opened() -> None:
    assert kernel.read_file(VIEW, "/d/sock") is kernel.Errno.ENXIO
    assert h.readlines(VIEW, "/d/sock", "/") is kernel.Errno.ENXIO


def test_dev_null_reads_empty() -> None:
    assert kernel.read_file(VIEW, "/d/null") == b""
    assert h.readlines(VIEW, "/d/null", "/") == []


@pytest.mark.parametrize("name", ["zero", "disk"])
def test_other_devices_are_not_modelled(name: str) -> None:
    with pytest.raises(NotModelled, match=f"/d/{name}: a device"):
        kernel.read_file(VIEW, f"/d/{name}")


def test_a_file_over_the_limit_is_not_modelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fs, "READ_LIMIT", 10)
    layout = Layout().with_file("/d/big", b"x" * 11).with_file("/d/ok", b"x" * 10)
    assert kernel.read_file(layout, "/d/ok") == b"x" * 10
    with pytest.raises(fs.Unreadable, match="/d/big: 11 bytes") as caught:
        kernel.read_file(layout, "/d/big")
    assert caught.value.size == 11
    with pytest.raises(h.TooLarge):  # getpath's readlines: MemoryError at 32 KiB and more
        h.readlines(layout, "/d/big", "/")
