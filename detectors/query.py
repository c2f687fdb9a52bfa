"""Running a rule's SQL file against the catalog, and turning result rows into identities.

Each rule keeps its query in a ``.sql`` file beside it; values are bound as named parameters
(``$day``, ``$since``, …), never formatted into the text. Results come back as polars frames so
the rule works over whole columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from detectors.finding import Identity
from detectors.rule import DetectContext
from pipeline.sql import bound, sql_file

IDENTITY_COLUMNS = {
    "identity_id": "id",
    "identity_kind": "kind",
    "identity_name": "name",
    "app_id": "app_id",
    "blueprint": "blueprint",
    "sponsor": "sponsor",
    "kind_source": "kind_source",
}
KIND_SOURCES = ("entra_agent_fields", "registry", "sp_tags", "log_category", "none")


def sql_text(path: str) -> str:
    return sql_file(path)


def run_sql(ctx: DetectContext, sql_file: Path, **params: Any) -> pl.DataFrame:
    """Run ``sql_file`` with the day bounds and ``params`` bound; the rows as a polars frame.

    Always bound: ``$day`` (the judged day); the look-back window is the baselines' history views.
    Only the parameters the query names are passed on.
    """
    text = sql_text(str(sql_file))
    values = {"day": ctx.day, **params}
    used = bound(text, values)
    return pl.from_arrow(ctx.con.sql(text, params=used).to_arrow_table())


def identity(row: dict[str, Any], prefix: str = "") -> Identity:
    """The Identity described by the identity columns of a result row (optionally prefixed,
    e.g. ``target_identity_id``); empty values count as absent."""
    fields = {
        dst: row.get(prefix + src) for src, dst in IDENTITY_COLUMNS.items() if row.get(prefix + src)
    }
    fields["id"] = str(fields.get("id") or "unknown")
    if fields.get("kind_source") not in KIND_SOURCES:
        fields.pop("kind_source", None)
    return Identity(**fields)


def on_behalf_of(row: dict[str, Any]) -> Identity | None:
    obo = row.get("on_behalf_of_id")
    return Identity(id=str(obo), kind="human") if obo else None


def plural(n: float | None, word: str) -> str:
    """'1 request', '3 requests', '2.5 requests', '2 addresses', '4 identities'."""
    n = n or 0
    text = f"{int(n):,}" if float(n).is_integer() else f"{n:,.1f}"
    if n == 1:
        return f"{text} {word}"
    if word.endswith(("s", "x", "ch", "sh")):
        return f"{text} {word}es"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "o", "u"):
        return f"{text} {word[:-1]}ies"
    return f"{text} {word}s"


def who(row: dict[str, Any]) -> str:
    """A short readable name for the identity of a row: its name, else its id."""
    name = row.get("identity_name") or row.get("identity_id") or "unknown identity"
    return str(name)


def registry_keys(config: Any, where: Any = None) -> dict[str, Any]:
    """Registered agents by lower-case object id and app id (only those ``where(agent)`` keeps)."""
    out: dict[str, Any] = {}
    for agent in getattr(config, "agents", None) or []:
        if where is not None and not where(agent):
            continue
        for key in (agent.id, agent.app_id):
            if key:
                out[key.lower()] = agent
    return out


def agent_of(keys: dict[str, Any], row: dict[str, Any]) -> Any:
    """The registry entry a result row's identity (object id, else app id) belongs to."""
    return keys.get(str(row.get("identity_id") or "").lower()) or keys.get(
        str(row.get("app_id") or "").lower()
    )


def standing(row: dict[str, Any], min_days: int) -> str:
    """How a registry violation stands against history: 'recurring' (the identity touched the same
    resource on earlier days), 'new' (it did not, and there is a baseline to say so: the identity
    is established, or the tenant is and the identity is genuinely new) or 'unbaselined' (neither
    the identity nor the tenant has ``min_days`` of history: nothing to compare with yet)."""
    if row.get("seen_days", 0) > 0:
        return "recurring"
    if row.get("history_days", 0) >= min_days or row.get("tenant_days", 0) >= min_days:
        return "new"
    return "unbaselined"


STANDING_WORDS = {
    "recurring": "it did the same on earlier days (a standing exception: fix the agent or its "
    "registry entry)",
    "unbaselined": "there is no baseline yet to tell whether this is new",
}
