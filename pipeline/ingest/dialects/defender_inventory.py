"""Microsoft Defender's agent inventory: advanced hunting's ``AgentsInfo`` (``AIAgentsInfo``
before it), as Log Analytics rows.

Its rows come in the same exports as the Entra tables' (an advanced hunting answer
``{"schema": [...], "results": [...]}``, a Sentinel query's JSON or CSV), so they are read by the
Log Analytics dialect (log_analytics.py, which ``includes`` this module): it takes the inventory's
field map, the columns that tell its rows and their category from here. Each snapshot of an agent
becomes one ``agent_facts`` row (normalise.py).
"""

from __future__ import annotations

import polars as pl

from pipeline.ingest.exprs import present

FIELDS: dict[str, list[str]] = {
    "inv_time": ["$.Timestamp", '$."Timestamp [UTC]"', "$.TimeGenerated"],
    "inv_agent_id": ["$.AgentId"],
    "inv_ai_agent_id": ["$.AIAgentId"],
    "inv_agent_name": ["$.AgentName", "$.AIAgentName"],
    "inv_platform": ["$.Platform"],
    "inv_entra_agent_id": ["$.EntraAgentId"],
    "inv_blueprint_id": ["$.EntraBlueprintId"],
    "inv_source_agent_id": ["$.SourceAgentId"],
    "inv_description": ["$.AgentDescription"],
    "inv_status": ["$.LifecycleStatus", "$.AgentStatus"],
    "inv_published_status": ["$.PublishedStatus"],
    "inv_created": ["$.CreatedDateTime", "$.AgentCreationTime"],
    "inv_modified": ["$.LastUpdatedDateTime", "$.LastModifiedTime"],
    "inv_created_by": ["$.CreatorAccountUpn"],
    "inv_owners": ["$.Owners", "$.OwnerAccountUpns"],
    "inv_environment_id": ["$.EnvironmentId"],
}
#: the inventory's columns that tell its rows from the Entra tables' (read for every table)
SHAPE_FIELDS = (
    "inv_agent_id",
    "inv_ai_agent_id",
    "inv_agent_name",
    "inv_platform",
    "inv_entra_agent_id",
)
#: columns only the inventory has, which a query's projection keeps (tell a Log Analytics row)
SHAPE_KEYS = frozenset({"AIAgentId", "EntraAgentId"})
#: how an inventory row without a known ``Type`` is recognised (named in a quarantine reason)
SHAPE_TEXT = "AIAgentId, or AgentId + AgentName + Platform/EntraAgentId (Defender agent inventory)"


def category() -> pl.Expr:
    """AIAgentsInfo / AgentsInfo for a row of the inventory's shape, else null."""
    agents_info = (
        present("inv_agent_id")
        & present("inv_agent_name")
        & (present("inv_platform") | present("inv_entra_agent_id"))
    )
    return (
        pl.when(present("inv_ai_agent_id"))
        .then(pl.lit("AIAgentsInfo"))
        .when(agents_info)
        .then(pl.lit("AgentsInfo"))
        .otherwise(None)
    )
