"""Huge pages are off during an ingest and back as they were after it."""

import sys

import pytest

from pipeline.ingest.pages import PR_GET_THP_DISABLE, _prctl, small_pages

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux prctl")


def _state() -> int:
    prctl = _prctl()
    assert prctl is not None
    return prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0)


def test_small_pages_within_and_restored_after():
    before = _state()
    with small_pages():
        assert _state() == 1
    assert _state() == before


def test_small_pages_restored_after_an_error():
    before = _state()
    with pytest.raises(RuntimeError), small_pages():
        raise RuntimeError("boom")
    assert _state() == before
