"""Transparent huge pages off while an ingest runs (Linux), restored after.

An ingest allocates and frees large short-lived buffers (a chunk's lines, a Parquet page, a
date's rows) at a high rate. With huge pages each fresh 2 MiB region is zeroed whole on its
first touch and the kernel compacts memory behind it: measured on 1M sign-ins, that kernel time
was a sixth of the run's CPU and varied from run to run; with 4 KiB pages it is about halved
and steady. Elsewhere (or when the kernel refuses) this does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
from collections.abc import Iterator

PR_SET_THP_DISABLE = 41
PR_GET_THP_DISABLE = 42


def _prctl() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        return None


@contextlib.contextmanager
def small_pages() -> Iterator[None]:
    """Within the block, this process gets no new transparent huge pages."""
    prctl = _prctl()
    before = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) if prctl else -1
    changed = prctl is not None and before == 0 and prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0
    try:
        yield
    finally:
        if changed and prctl is not None:
            prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0)
