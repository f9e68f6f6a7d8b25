"""Fuzzing the reader: bytes of a shipped PDF flipped, cut or spliced never make it raise, hang
or report a status without a code. CI runs a few dozen cases; a longer run:

    CSMINER_FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/test_fuzz.py
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pipeline.config import LimitSettings, ReadingSettings  # noqa: E402
from pipeline.document import Status  # noqa: E402
from pipeline.reading import opening  # noqa: E402
from pipeline.reading.reader import read_pdf  # noqa: E402

SHIPPED = Path(__file__).resolve().parents[1] / "corpus" / "neighborhood-1col.pdf"
EXAMPLES = int(os.environ.get("CSMINER_FUZZ_EXAMPLES", "30"))
CODE = re.compile(r"^[EW]\d{3}$")


@pytest.fixture(scope="module", autouse=True)
def low_limits() -> Iterator[None]:
    opening.configure(LimitSettings(open_seconds=5, max_stream_mb=32))
    yield
    opening.configure(LimitSettings())


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(SHIPPED.read_bytes())
    for _ in range(draw(st.integers(0, 20))):  # flipped bytes anywhere
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):  # a block zeroed, as a broken download or disk leaves it
        start = draw(st.integers(0, len(data) - 1))
        size = draw(st.integers(1, 4096))
        data[start : start + size] = bytes(min(size, len(data) - start))
    if draw(st.booleans()):  # cut short
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 30,  # CI: the same cases every run
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(data=damaged())
def test_damaged_bytes_give_a_coded_outcome(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzzed.pdf"
    path.write_bytes(data)
    document = read_pdf(path, ReadingSettings(max_pages=2))  # never raises
    assert document.status in set(Status)
    assert all(CODE.match(e.code) for e in document.errors)
    if document.status == Status.FAILURE:
        assert any(e.code.startswith("E") for e in document.errors)
    if document.status == Status.SUCCESS:
        assert document.pages >= 1
