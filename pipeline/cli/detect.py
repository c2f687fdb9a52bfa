"""`agentaudit` commands: detect."""

from pipeline.cli import cli  # noqa: F401
