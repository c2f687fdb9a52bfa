"""`agentaudit` commands: generate."""

from pipeline.cli import cli  # noqa: F401
