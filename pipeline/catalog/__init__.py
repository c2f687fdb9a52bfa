"""The catalog: DuckDB views over the Parquet lake (DESIGN.md section 2).

``connect(workspace)`` returns a DuckDB connection with one view per lake table (``signins``,
``audits``, ``activity``, ``risk_events``, ``quarantine``, ``findings``), the rollups
(``identity_day``, ``identity_day_values``, ``agent_directory``), the registry and sensitivity
catalogue as small tables (``registry``, ``registry_keys``, ``registry_allowed``,
``sensitivity_patterns``), and the derived views ``events`` (one row per sign-in and activity
record, with the acting identity resolved), ``obo_pairs``, ``app_links``, ``permission_grants``,
``creation_channels`` (where each agent came from), ``stewards`` (each identity's sponsor and
owners, with where each came from), ``identities``, ``access_assignments`` (Entitlement
Management package assignments), ``permission_families``, ``agent_inventory`` (the auditor's
badge per agent) and ``sigma_auditlogs`` / ``sigma_signinlogs`` (pipeline.sigma.views).

``catalog.duckdb`` holds views and small state only: every connect rebuilds them from the lake and
agentaudit.toml. Views read Parquet at query time and never lock the lake. DuckDB allows one
writer process per database file, so when the file is busy (a nightly job holds it) or the caller
asks for ``read_only``, the views are built as TEMP objects in memory (the file is not opened),
which is why ``agentaudit sql`` works during a run.
"""

from pipeline.catalog.views import (
    DERIVED_VIEWS,
    GOVERNANCE_VIEWS,
    LAKE_TABLES,
    ROLLUP_DIR,
    connect,
    duck_type,
    install,
    refresh,
    rollup_dir,
    sql_text,
)

__all__ = [
    "DERIVED_VIEWS",
    "GOVERNANCE_VIEWS",
    "LAKE_TABLES",
    "ROLLUP_DIR",
    "connect",
    "duck_type",
    "install",
    "refresh",
    "rollup_dir",
    "sql_text",
]
