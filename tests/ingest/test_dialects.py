"""The dialect registry: every input shape is one module that owns its detection, field map and
normalisation, and a new shape is that one module (here a test-only one) plus its tests."""

from __future__ import annotations

import csv
import pkgutil
from pathlib import Path

import polars as pl
import pytest

from pipeline.ingest import ingest_paths
from pipeline.ingest.dialects import base, registry
from pipeline.ingest.dialects.base import Dialect
from pipeline.schema import TABLES
from pipeline.workspace import Workspace

from .records import lake_rows, quarantine_rows, write_lines

T = "2026-11-18T09:15:00Z"

#: one record (parsed JSON) and one CSV header row of each built-in dialect, None where the
#: dialect has no such form; a new dialect adds its own line
EXAMPLES: dict[str, tuple[dict | None, list[str] | None]] = {
    "azure_monitor": (
        {"time": T, "category": "SignInLogs", "operationName": "Sign-in", "properties": {}},
        None,
    ),
    "officeactivity": (
        {"TimeGenerated": T, "OfficeId": "o-1", "Operation": "FileAccessed", "Type": "x"},
        ["TimeGenerated [UTC]", "OfficeId", "OfficeWorkload", "Operation"],
    ),
    "m365": (
        {"CreationTime": T, "Id": "m-1", "Operation": "FileAccessed", "RecordType": 6},
        ["CreationDate", "RecordType", "Operation", "AuditData"],
    ),
    "loganalytics": (
        {"TimeGenerated": T, "Type": "SigninLogs", "Id": "la-1"},
        ["TimeGenerated [UTC]", "Type", "Id"],
    ),
    "portal": (None, ["Date (UTC)", "Request ID", "User", "Username"]),
    "graph": ({"id": "g-1", "createdDateTime": T, "userId": "u-1"}, None),
}


def _module(dialect: Dialect) -> str:
    return type(dialect).__module__.rsplit(".", 1)[-1]


def test_the_registry_lists_every_dialect_module() -> None:
    """Each module of the package is a registered dialect, or one a dialect says it includes."""
    package = Path(base.__file__).parent
    modules = {m.name for m in pkgutil.iter_modules([str(package)])} - {"base", "registry"}
    listed = {_module(d) for d in registry.BUILT_IN}
    included = {m for d in registry.BUILT_IN for m in d.includes}
    assert modules == listed | included
    assert not listed & included
    assert registry.dialects() == registry.BUILT_IN
    assert registry.dialects()[-1] is registry.FALLBACK
    assert set(EXAMPLES) == set(registry.names())


@pytest.mark.parametrize("dialect", registry.BUILT_IN, ids=lambda d: d.name)
def test_each_dialect_owns_detection_fields_and_category(dialect: Dialect) -> None:
    cls = type(dialect)
    assert dialect.title and dialect.source_format
    detects = cls.recognise is not Dialect.recognise or cls.recognise_header is not (
        Dialect.recognise_header
    )
    assert detects, f"{dialect.name} recognises neither a JSON record nor a CSV header"
    assert dialect.fields
    for field, specs in dialect.fields.items():
        assert field.isidentifier()
        assert all(spec.startswith("$") for spec in specs), (field, specs)
    assert set(dialect.category_fields) <= set(dialect.fields)
    assert set(dialect.normalisers) <= set(TABLES)
    assert dialect.mixed_with is None or dialect.mixed_with in registry.names()
    # the category reads only fields some dialect extracts (all null: no error, null category)
    nulls = pl.DataFrame(
        {name: [None] for name in registry.all_fields()},
        schema_overrides={name: pl.String for name in registry.all_fields()},
    )
    assert nulls.select(dialect.category()).to_series().to_list() == [None]


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_dialect_recognises_its_own_example(name: str) -> None:
    record, headers = EXAMPLES[name]
    if record is not None:
        assert registry.record_dialect(record) == name
    if headers is not None:
        found = registry.csv_dialect({base.normalise_header(h) for h in headers})
        assert found is not None and found.name == name


def test_included_modules_bring_their_fields() -> None:
    """An included module's field map is part of the dialect that reads its rows."""
    for dialect in registry.BUILT_IN:
        for name in dialect.includes:
            module = __import__(f"pipeline.ingest.dialects.{name}", fromlist=["FIELDS"])
            assert module.FIELDS.items() <= dialect.fields.items()


# ---- a new shape is one module: a test-only dialect, registered by a fixture ---------------------


class AcmeSso(Dialect):
    """A made-up SSO product's sign-in export: flat camelCase records marked ``acmeEvent``."""

    name = "acme_sso"
    title = "Acme SSO sign-in export (test only)"
    source_format = "acme"
    fields = {
        "id": ["$.eventId"],
        "created": ["$.at"],
        "upn": ["$.login"],
        "user_id": ["$.subject"],
        "app_id": ["$.clientId"],
        "app_display_name": ["$.clientName"],
        "ip": ["$.sourceIp"],
        "error_code": ["$.code"],
        "acme_kind": ["$.acmeEvent"],  # a field of its own: no other dialect has it
    }
    padded = True  # CSV cells

    def recognise(self, record: dict) -> bool:
        return "acmeEvent" in record

    def recognise_header(self, keys: set[str]) -> bool:
        return "acmeevent" in keys

    def category(self) -> pl.Expr:
        kind = pl.col("acme_kind")
        return (
            pl.when(kind == "login")
            .then(pl.lit("SignInLogs"))
            .when(kind.is_not_null())
            .then(pl.lit("Acme ") + kind)
        )


@pytest.fixture
def acme():
    dialect = AcmeSso()
    registry.register(dialect)
    yield dialect
    registry.unregister(dialect.name)


def _acme(n: int, **extra) -> dict:
    return {
        "acmeEvent": "login",
        "eventId": f"acme-{n}",
        "at": f"2026-11-18T09:1{n}:00Z",
        "login": "ada@contoso.example",
        "subject": "u-ada",
        "clientId": "app-1",
        "clientName": "Payroll",
        "sourceIp": "198.51.100.7",
        "code": 0,
        **extra,
    }


def test_a_registered_dialect_is_detected_and_ingested(acme, tmp_path: Path) -> None:
    assert registry.names()[-2:] == ("acme_sso", "graph")  # asked before the fallback
    records = [
        _acme(1),
        _acme(2, code=50126),
        _acme(3, acmeEvent="logout"),  # a category no table has
        {k: v for k, v in _acme(4).items() if k != "at"},  # no time
    ]
    jsonl = write_lines(tmp_path / "in" / "acme.jsonl", records)
    with open(tmp_path / "in" / "acme.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(_acme(5)))
        writer.writeheader()
        writer.writerow({k: f" {v} " for k, v in _acme(5).items()})  # padded cells
    ws = Workspace.at(tmp_path / "ws")
    summary = ingest_paths(ws, [tmp_path / "in"])
    assert summary.conserved and summary.rows_read == 5
    rows = {r["event_id"]: r for r in lake_rows(ws, "signins")}
    assert set(rows) == {"acme-1", "acme-2", "acme-5"}
    ok, failed, from_csv = rows["acme-1"], rows["acme-2"], rows["acme-5"]
    assert ok["source_format"] == "acme" and ok["log_category"] == "SignInLogs"
    assert ok["log_type"] == "interactive" and ok["actor_kind"] == "human"
    assert (ok["actor_id"], ok["user_principal_name"]) == ("u-ada", "ada@contoso.example")
    assert (ok["app_id"], ok["app_display_name"], ok["ip_address"]) == (
        "app-1",
        "Payroll",
        "198.51.100.7",
    )
    assert ok["succeeded"] is True and ok["event_time"].isoformat() == "2026-11-18T09:11:00+00:00"
    assert failed["error_code"] == 50126 and failed["succeeded"] is False
    assert from_csv["source_file"].endswith("acme.csv") and from_csv["ip_address"] == "198.51.100.7"
    reasons = {r["source_line"]: r["reason"] for r in quarantine_rows(ws)}
    assert reasons[3].startswith("unknown log category 'Acme logout'")
    assert reasons[4] == "record without a usable time (field 'created' missing)"
    registry.unregister(acme.name)
    try:  # without the module the same records are Graph's, which cannot place them
        assert registry.record_dialect(records[0]) == "graph"
        again = ingest_paths(Workspace.at(tmp_path / "ws2"), [jsonl])
        assert again.rows_written_total == 0 and again.quarantined == 4
    finally:
        registry.register(acme)


def test_register_refuses_a_taken_name_and_get_names_the_known_ones(acme) -> None:
    with pytest.raises(ValueError, match="registered already"):
        registry.register(AcmeSso())
    with pytest.raises(KeyError, match="known: azure_monitor"):
        registry.get("nope")
    with pytest.raises(ValueError, match="fallback"):
        registry.unregister(registry.FALLBACK.name)
