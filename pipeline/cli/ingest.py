"""`agentaudit` commands: ingest."""

from pipeline.cli import cli  # noqa: F401
