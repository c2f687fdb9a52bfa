"""Entra timestamps -> UTC microseconds (fast path and regular-expression path agree)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from pipeline.ingest.timeparse import parse_time_expr, parse_time_series

CASES = [
    ("2025-04-11T08:16:11.0511381Z", datetime(2025, 4, 11, 8, 16, 11, 51138, tzinfo=UTC)),
    ("2019-10-18T04:45:48.0729893-05:00", datetime(2019, 10, 18, 9, 45, 48, 72989, tzinfo=UTC)),
    ("2025-12-12T14:56:31+00:00", datetime(2025, 12, 12, 14, 56, 31, tzinfo=UTC)),
    ("2025-04-14T3:15:37.008Z", datetime(2025, 4, 14, 3, 15, 37, 8000, tzinfo=UTC)),
    ("12/12/2025 3:03:58 PM", datetime(2025, 12, 12, 15, 3, 58, tzinfo=UTC)),
    ("12/1/2025 12:05:00 AM", datetime(2025, 12, 1, 0, 5, tzinfo=UTC)),
    ("4/11/2025, 8:16:11.051 AM", datetime(2025, 4, 11, 8, 16, 11, 51000, tzinfo=UTC)),
    ("2025-01-01T10:00:00", datetime(2025, 1, 1, 10, tzinfo=UTC)),
    ("2025-01-01 10:00:00.1", datetime(2025, 1, 1, 10, 0, 0, 100000, tzinfo=UTC)),
    ("2025-04-11T08:16:11.123456789+0530", datetime(2025, 4, 11, 2, 46, 11, 123456, tzinfo=UTC)),
    ("2025-04-11T08:16:11Z", datetime(2025, 4, 11, 8, 16, 11, tzinfo=UTC)),
    ("2025-04-11", datetime(2025, 4, 11, tzinfo=UTC)),
    ("2025-13-45T00:00:00Z", None),
    ("yesterday", None),
    (None, None),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_forms(text: str | None, expected: datetime | None) -> None:
    series = pl.Series("t", [text], dtype=pl.String)
    assert parse_time_series(series).item() == expected
    assert pl.DataFrame({"t": series}).select(parse_time_expr("t")).item() == expected
