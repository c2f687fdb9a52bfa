"""Errors a user can act on. The CLI prints them without a traceback (``--debug`` shows one)."""

from __future__ import annotations


class AgentAuditError(Exception):
    """A problem with the input or the workspace: exit code 1.

    The message names the file (and line and field where known) and says what to do next.
    """

    exit_code = 1


class UsageError(AgentAuditError):
    """The command was called wrongly (bad option value, missing path): exit code 2."""

    exit_code = 2
