"""`agentaudit` commands: report."""

from pipeline.cli import cli  # noqa: F401
