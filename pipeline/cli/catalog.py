"""`agentaudit` commands: catalog."""

from pipeline.cli import cli  # noqa: F401
