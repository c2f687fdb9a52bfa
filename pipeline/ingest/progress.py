"""Progress of a long step on stderr: a click progress bar on a terminal, else a line at most
every tenth of the work (a log stays short whatever the number of files, days or rules).

Ingest counts files; the other long steps (generation, baseline rollups, detection per rule) use
the same class through ``Steps``, a ``(done, total, item)`` callback the library calls once per
step. Nothing is printed when there is nothing to do: no step at all, or (without a terminal) only
steps that found nothing to do, such as files already ingested.
"""

from __future__ import annotations

import sys
from typing import Any

import click


class Progress:
    """``advance(item)`` once per unit done; ``close()`` at the end. Silent unless ``enabled``.

    ``label`` names the step ("ingest", "detect"), ``unit`` what is counted ("files").
    ``advance(item, idle=True)`` counts a unit in which nothing was done (a file already
    ingested): without a terminal, a run of only idle units prints no line.
    """

    def __init__(self, total: int, enabled: bool, label: str = "ingest", unit: str = "files"):
        self.total = total
        self.done = 0
        self.enabled = enabled and total > 0
        self.label = label
        self.unit = unit
        self._bar: Any = None
        self._next_line = max(1, total // 10)
        self._worked = False  # a unit since the last line did something
        if self.enabled and sys.stderr.isatty():
            self._bar = click.progressbar(
                length=total, label=label, file=sys.stderr, show_pos=True, show_eta=True
            )
            self._bar.__enter__()

    def advance(self, item: object, idle: bool = False) -> None:
        self.done += 1
        self._worked = self._worked or not idle
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(1)
            return
        if self.done >= self._next_line or self.done == self.total:
            if self._worked:
                percent = 100 * self.done // self.total
                last = f", last {item}" if item not in (None, "") else ""
                click.echo(
                    f"{self.label}: {self.done}/{self.total} {self.unit} ({percent}%){last}",
                    err=True,
                )
                self._worked = False
            step = max(1, self.total // 10)
            self._next_line = (self.done // step + 1) * step

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


class Steps:
    """A ``(done, total, item)`` progress callback for the library's long steps, shown as one
    ``Progress`` (created on the first call, when the total is known). Use as a context manager
    so that a bar is closed however the step ends."""

    def __init__(self, label: str, unit: str, enabled: bool = True):
        self.label = label
        self.unit = unit
        self.enabled = enabled
        self.progress: Progress | None = None

    def __call__(self, done: int, total: int, item: object = "") -> None:
        if self.progress is None:
            self.progress = Progress(total, self.enabled, label=self.label, unit=self.unit)
        while self.progress.done < min(done, total):  # a caller may skip numbers
            self.progress.advance(item)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.close()

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
