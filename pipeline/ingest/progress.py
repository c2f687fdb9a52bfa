"""Progress of an ingest run on stderr: a click progress bar on a terminal, else a line at most
every tenth of the files (a log stays short whatever the number of files)."""

from __future__ import annotations

import sys
from typing import Any

import click


class Progress:
    """``advance(path)`` once per file done; ``close()`` at the end. Silent unless ``enabled``."""

    def __init__(self, total: int, enabled: bool):
        self.total = total
        self.done = 0
        self.enabled = enabled and total > 0
        self._bar: Any = None
        self._next_line = max(1, total // 10)
        if self.enabled and sys.stderr.isatty():
            self._bar = click.progressbar(
                length=total, label="ingest", file=sys.stderr, show_pos=True, show_eta=True
            )
            self._bar.__enter__()

    def advance(self, path: object) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(1)
            return
        if self.done >= self._next_line or self.done == self.total:
            percent = 100 * self.done // self.total
            click.echo(
                f"ingest: {self.done}/{self.total} files ({percent}%), last {path}", err=True
            )
            step = max(1, self.total // 10)
            self._next_line = (self.done // step + 1) * step

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
