"""sitepth's readers, a piece at a time, against CPython's own: io.TextIOWrapper with
universal newlines (site.py 3.8-3.12 iterates one) and str.splitlines over the whole text
decoded as utf-8-sig (site.py 3.13), with pieces made small so that every line crosses one."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prefixlab.model.startup import sitepth

PIECES = st.sampled_from(["a", "é", "\r", "\n", "\r\n", "\x85", "\u2028", "\x0b", "\x1c", "#",
                          "\ufeff", " "])
TEXTS = st.lists(PIECES, max_size=40).map("".join)


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sitepth, "_CHUNK", 3)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_universal_reader_is_textiowrapper(text: str) -> None:
    data = text.encode("utf-8")
    expected = list(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=None))
    assert list(sitepth.read_lines(data, "locale-text", "utf-8")) == expected


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.booleans())
def test_bytes_reader_is_splitlines(text: str, bom: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    expected = data.decode("utf-8-sig").splitlines()
    assert list(sitepth.read_lines(data, "utf8-sig-bytes", "utf-8")) == expected


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.integers(0, 40))
def test_decoding_error_names_its_offset_in_the_file(text: str, at: int) -> None:
    raw = text.encode("utf-8")
    at = min(at, len(raw))
    data = raw[:at] + b"\xff" + raw[at:]
    with pytest.raises(UnicodeDecodeError) as caught:
        data.decode("utf-8")
    for reader in ("locale-text", "utf8-sig-bytes"):
        found = sitepth.read_lines(data, reader, "utf-8")  # type: ignore[arg-type]
        assert found.error == f"utf-8 codec can't decode byte at {caught.value.start}"
        assert list(found) == []
