"""impl/host/filedigest.py: the SHA-256 of a file, whichever way it is read, is hashlib's
SHA-256 of its bytes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from prefixlab.impl.host import filedigest


@pytest.mark.parametrize("size", [0, 1, 4095, filedigest.MAPPED, filedigest.MAPPED + 1,
                                  3 * filedigest.MAPPED + 17])
def test_the_digest_is_sha256_of_the_bytes(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "file"
    path.write_bytes(data)
    assert filedigest.sha256(str(path)) == hashlib.sha256(data).digest()


def test_a_file_whose_size_says_nothing_is_read() -> None:
    # /proc files report size 0 and have content: they are read, never mapped.
    path = "/proc/self/cmdline" if os.path.exists("/proc/self/cmdline") else None
    if path is None:
        pytest.skip("no /proc here: no file whose stat size differs from its content")
    digest = filedigest.sha256(path)
    with open(path, "rb") as handle:
        assert digest == hashlib.sha256(handle.read()).digest()


def test_a_file_that_cannot_be_mapped_is_read(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import mmap

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(19, "No such device")

    monkeypatch.setattr(mmap, "mmap", refuse)
    data = os.urandom(filedigest.MAPPED + 5)
    path = tmp_path / "file"
    path.write_bytes(data)
    assert filedigest.sha256(str(path)) == hashlib.sha256(data).digest()


def test_an_unreadable_path_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        filedigest.sha256(str(tmp_path / "missing"))
