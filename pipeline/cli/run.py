"""`agentaudit` commands: run."""

from pipeline.cli import cli  # noqa: F401
