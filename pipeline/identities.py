"""Identities: who every identity is (DESIGN.md section 5), as investigators list them.

The ``identities`` view (pipeline/catalog/identities.sql) holds one row per identity ever seen,
built from the per-identity-day rollups, plus the people agents acted for and the registered
agents never seen. ``list_identities`` filters it; ``match_identities`` resolves the partial
name an investigator types (``findings --identity``, the notebook) to identities; ``entra_kind``
states in Python the mapping of Entra's agent fields that the ``agent_kind`` SQL macro applies
(step 1 of the order).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.catalog.query import QueryResult, execute
from pipeline.errors import UsageError
from pipeline.schema import ACTOR_KINDS
from pipeline.workspace import Workspace

ENTRA_AGENT_TYPES = {
    "agenticappinstance": "agent_identity",
    "agentiduser": "agent_user",
    "agenticapp": "agent_blueprint",
    "agenticappbuilder": "agent_blueprint",  # retired name
    "agentidentityblueprintprincipal": "agent_blueprint",
}


def entra_kind(agent_type: str | None, agent_subject_type: str | None = None) -> str | None:
    """The actor kind Entra's own agent fields say, or None (notAgentic / absent)."""
    subject = ENTRA_AGENT_TYPES.get((agent_subject_type or "").lower())
    if subject == "agent_user":
        return subject
    return ENTRA_AGENT_TYPES.get((agent_type or "").lower()) or subject


def list_identities(
    workspace: Workspace | str | Path,
    kind: str | None = None,
    registered: bool | None = None,
    agents_only: bool = False,
    search: str | None = None,
    limit: int | None = 200,
) -> QueryResult:
    """Identities from the catalog (read-only), filtered by kind, registration or text."""
    from pipeline.catalog import connect, sql_text

    if kind is not None and kind not in ACTOR_KINDS:
        raise UsageError(f"--kind must be one of {', '.join(ACTOR_KINDS)}, not {kind!r}")
    con = connect(workspace, read_only=True)
    try:
        result = execute(
            con,
            sql_text("list_identities"),
            {
                "kind": kind,
                "registered": registered,
                "agents_only": agents_only,
                "search": search or None,
            },
            limit=limit,
        )
        rolled = execute(con, "SELECT count(*) FROM identity_day").rows[0][0]
    finally:
        con.close()
    if not rolled:
        result.notes.append("no rollups yet: run `agentaudit baseline` after ingesting")
    return result


@dataclass(frozen=True)
class IdentityMatch:
    """An identity whose id, app id or name contains the text looked for."""

    identity_id: str
    name: str | None
    app_id: str | None
    actor_kind: str
    events: int
    exact: bool  # the text is the whole id, app id or name


def match_identities(
    source: duckdb.DuckDBPyConnection | Workspace | str | Path, text: str
) -> list[IdentityMatch]:
    """The identities that ``text`` names: a case-insensitive substring of the identity id, the
    app id or the name (a person's user principal name, an agent's display name). Exact matches
    first, then the busiest. ``source``: a catalog connection, or a workspace (opened
    read-only). The one resolution behind ``agentaudit findings --identity`` and the notebook."""
    from pipeline.catalog import connect, sql_text

    key = text.strip().lower()
    if not key:
        raise UsageError("the identity to look for is empty: give part of its name, id or app id")
    own = not isinstance(source, duckdb.DuckDBPyConnection)
    con = connect(source, read_only=True) if own else source  # type: ignore[arg-type]
    try:
        rows = execute(con, sql_text("match_identities"), {"text": key}).rows
    finally:
        if own:
            con.close()
    return [
        IdentityMatch(str(i), name, app, kind, int(events or 0), bool(exact))
        for i, name, app, kind, events, exact in rows
    ]
