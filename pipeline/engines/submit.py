"""The driver script for ``spark-submit``: the agentaudit command line, its arguments those
given after this file (``spark-submit … submit.py run --workspace ws --engine spark``). The
session takes the master and resources spark-submit configured."""

from __future__ import annotations

if __name__ == "__main__":
    from pipeline.cli import main

    main()
