"""The accountable human on every finding (DESIGN.md section 11).

``assign(con, findings)`` names, for each finding of every rule, the person who answers for it:
the agent's sponsor, else an owner (the catalog's ``stewards`` view: registry, directory audits,
Defender's inventory), else the person whose delegated token it used, else the literal
``unaccountable`` (basis ``none``): a fact the report counts, never a blank. The engine calls it
once per judged day, after the rules and before suppressions, so no rule computes it itself.
One query over all the day's findings (accountable.sql), values bound as a registered table.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from detectors.finding import Finding
from pipeline.sql import sql_file

SQL = sql_file(__file__)

_INPUT = pa.schema(
    [
        ("finding_id", pa.string()),
        ("identity_id", pa.string()),
        ("identity_kind", pa.string()),
        ("identity_name", pa.string()),
        ("identity_sponsor", pa.string()),
        ("app_id", pa.string()),
        ("obo_id", pa.string()),
        ("obo_name", pa.string()),
        ("evidence", pa.list_(pa.string())),
    ]
)


def _input(findings: list[Finding]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "finding_id": f.finding_id,
                "identity_id": f.identity.id,
                "identity_kind": f.identity.kind,
                "identity_name": f.identity.name,
                "identity_sponsor": f.identity.sponsor,
                "app_id": f.identity.app_id,
                "obo_id": f.on_behalf_of.id if f.on_behalf_of else None,
                "obo_name": f.on_behalf_of.name if f.on_behalf_of else None,
                "evidence": list(f.evidence_event_ids),
            }
            for f in findings
        ],
        schema=_INPUT,
    )


def _has_relation(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM (SELECT table_name FROM duckdb_tables() "
        "UNION ALL SELECT view_name FROM duckdb_views()) WHERE table_name = ?",
        [name],
    ).fetchone()
    return bool(row and row[0])


def assign(con: duckdb.DuckDBPyConnection, findings: list[Finding]) -> list[Finding]:
    """``findings`` with ``accountable`` and ``accountable_basis`` filled from the catalog on
    ``con`` (its ``stewards``, ``principal_of_app`` and ``identity_day`` views, and the judged
    day's ``day_events`` when the engine made them: the delegating user of the evidence)."""
    if not findings:
        return findings
    con.register("_aa_accountable_in", _input(findings))
    evidence = (
        "SELECT event_id, on_behalf_of_id FROM day_events WHERE on_behalf_of_id IS NOT NULL"
        if _has_relation(con, "day_events")
        else "SELECT CAST(NULL AS VARCHAR) AS event_id, CAST(NULL AS VARCHAR) AS on_behalf_of_id "
        "WHERE false"
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW _aa_evidence_obo AS {evidence}")
    try:
        rows = con.execute(SQL).fetchall()
    finally:
        con.unregister("_aa_accountable_in")
        con.execute("DROP VIEW IF EXISTS _aa_evidence_obo")
    named = {r[0]: (r[1], r[2]) for r in rows}
    out = []
    for f in findings:
        accountable, basis = named.get(f.finding_id, ("unaccountable", "none"))
        if (accountable, basis) != (f.accountable, f.accountable_basis):
            f = f.model_copy(update={"accountable": accountable, "accountable_basis": basis})
        out.append(f)
    return out
