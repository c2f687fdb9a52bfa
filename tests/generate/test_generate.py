"""The synthetic tenant: records shaped like the real Entra samples, deterministic, labelled."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import UsageError
from pipeline.generate import generate_tenant
from pipeline.generate.shapes import FOLDER
from pipeline.generate.story import ALL_RULES

SMALL = dict(days=40, agents=24, humans=40, scale=0.08, seed=11)

SAMPLE_FILES = {
    "SignInLogs": ["azure-monitor-storage/sign_in_logs.json"],
    "NonInteractiveUserSignInLogs": [
        "azure-monitor-storage/non_interactive_user_sign_in_logs.json"
    ],
    "ServicePrincipalSignInLogs": ["azure-monitor-storage/service_principal_sign_in_logs.json"],
    "ManagedIdentitySignInLogs": ["azure-monitor-storage/managed_identity_sign_in_logs.json"],
    "AuditLogs": ["azure-monitor-storage/audit_logs.json"],
    "MicrosoftGraphActivityLogs": ["azure-monitor-storage/ms_graph_activity_logs.json"],
}
SIGNIN_SAMPLES = [
    "azure-monitor-storage/sign_in_logs.json",
    "azure-monitor-storage/non_interactive_user_sign_in_logs.json",
    "azure-monitor-storage/service_principal_sign_in_logs.json",
    "azure-monitor-storage/managed_identity_sign_in_logs.json",
    "event-hub/adfs-signin-with-agent.jsonl",
    "event-hub/signinlogs-categories.jsonl",
]


def _lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [line for line in fh.read().splitlines() if line.strip()]


def _records(root: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for category, folder in FOLDER.items():
        for f in sorted((root / "input" / folder).rglob("PT1H.json*")):
            out[category].extend(json.loads(line) for line in _lines(f))
    return out


def _type(value) -> str:
    return type(value).__name__


def _shape(records: list[dict]) -> tuple[dict, dict, set, set]:
    """(envelope key -> types, property key -> types, keys in every record, props in every)."""
    env, props = defaultdict(set), defaultdict(set)
    env_all, props_all = None, None
    for r in records:
        for k, v in r.items():
            env[k].add(_type(v))
        p = r.get("properties") or {}
        for k, v in p.items():
            props[k].add(_type(v))
        env_all = set(r) if env_all is None else env_all & set(r)
        props_all = set(p) if props_all is None else props_all & set(p)
    return env, props, env_all or set(), props_all or set()


@pytest.fixture(scope="module")
def tenant(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tenant")
    generate_tenant(out, **SMALL)
    return out


@pytest.fixture(scope="module")
def records(tenant) -> dict[str, list[dict]]:
    return _records(tenant)


@pytest.mark.parametrize("category", sorted(SAMPLE_FILES))
def test_records_match_real_sample_shapes(category, records, samples_dir):
    sample = [json.loads(line) for f in SAMPLE_FILES[category] for line in _lines(samples_dir / f)]
    s_env, s_props, s_env_all, s_props_all = _shape(sample)
    if category in (
        "SignInLogs",
        "NonInteractiveUserSignInLogs",
        "ServicePrincipalSignInLogs",
        "ManagedIdentitySignInLogs",
    ):
        # any sign-in key Entra writes in some category may appear (e.g. the agent block)
        every = [json.loads(line) for f in SIGNIN_SAMPLES for line in _lines(samples_dir / f)]
        _, u_props, _, _ = _shape(every)
    else:
        u_props = s_props
    gen = records[category]
    assert gen, f"no {category} records generated"
    g_env, g_props, g_env_all, g_props_all = _shape(gen)
    # every key the real export always writes, we write too
    assert s_env_all <= g_env_all | {"resultDescription"}, s_env_all - g_env_all
    missing = s_props_all - g_props_all
    if category == "MicrosoftGraphActivityLogs":
        missing -= {"userId"}
    assert not missing, f"{category}: keys Entra always writes are missing: {missing}"
    # no key Entra never writes (the agent block is Entra's own, seen in the ADFS sample)
    extra_env = set(g_env) - set(s_env) - {"resultDescription", "callerIpAddress", "location"}
    assert not extra_env, extra_env
    allowed_props = set(u_props) | (
        {"userId"} if category == "MicrosoftGraphActivityLogs" else set()
    )
    assert not set(g_props) - allowed_props, set(g_props) - allowed_props
    # value types as Entra writes them (null is allowed where the sample has it)
    for key, types in g_env.items():
        if key in s_env:
            assert types <= s_env[key] | {"NoneType"}, (key, types, s_env[key])
    for key, types in g_props.items():
        ref = s_props.get(key) or u_props.get(key)
        if ref and "NoneType" not in types - ref:
            assert types - {"NoneType"} <= ref | {"NoneType"}, (category, key, types, ref)


def test_agent_sign_ins_carry_entra_agent_fields(records):
    agentic = [
        r
        for c in ("ServicePrincipalSignInLogs", "NonInteractiveUserSignInLogs")
        for r in records[c]
        if "agent" in r["properties"]
    ]
    assert agentic
    kinds = {r["properties"]["agent"]["agentSubjectType"] for r in agentic}
    assert {"agenticAppInstance", "agentIDuser", "notAgentic"} <= kinds
    for r in agentic:
        a = r["properties"]["agent"]
        assert list(a) == ["agentType", "parentAppId", "agentSubjectType", "agentSubjectParentId"]
        assert a["agentType"] == "agenticAppInstance"
        if a["agentSubjectType"] == "agentIDuser":
            assert r["category"] == "NonInteractiveUserSignInLogs"


def test_graph_activity_links_to_its_sign_in(records, tenant):
    tokens = {
        r["properties"]["uniqueTokenIdentifier"]
        for c in (
            "SignInLogs",
            "NonInteractiveUserSignInLogs",
            "ServicePrincipalSignInLogs",
            "ManagedIdentitySignInLogs",
        )
        for r in records[c]
    }
    labels = json.loads((tenant / "labels.json").read_text())
    orphan = next(i for i in labels["incidents"] if i["rule_ids"] == ["AA-A05"])
    orphans = set(orphan["evidence_event_ids"])
    unlinked = [
        r["properties"]["requestId"]
        for r in records["MicrosoftGraphActivityLogs"]
        if r["properties"]["signInActivityId"] not in tokens
    ]
    assert unlinked and set(unlinked) == orphans


def test_labels_cover_every_rule_with_real_evidence(tenant, records):
    labels = json.loads((tenant / "labels.json").read_text())
    assert {"tenant_id", "seed", "start", "end", "incidents", "benign"} <= set(labels)
    covered = {r for i in labels["incidents"] for r in i["rule_ids"]}
    assert covered == set(ALL_RULES)
    ids = {r["properties"]["id"] for c in records for r in records[c] if "id" in r["properties"]}
    ids |= {r["properties"]["requestId"] for r in records["MicrosoftGraphActivityLogs"]}
    start, end = labels["start"], labels["end"]
    last_days = labels["end"][:8]
    for inc in labels["incidents"]:
        assert inc["evidence_event_ids"], inc["id"]
        assert set(inc["evidence_event_ids"]) <= ids, inc["id"]
        assert inc["culprit_ids"] and inc["description"]
        assert start <= inc["window_start"] <= inc["window_end"] <= end
        if inc["rule_ids"] != ["AA-G04"]:
            assert inc["window_start"][:8] == last_days  # in the last days, history before
    for b in labels["benign"]:
        assert b["must_not_fire"] and b["identity_ids"]


def test_registry_declares_agents_but_not_shadow(tenant):
    cfg = load_config(tenant)
    assert cfg.workspace.inputs == ["input"] and cfg.workspace.lake == "lake"
    labels = json.loads((tenant / "labels.json").read_text())
    shadow = next(i for i in labels["incidents"] if i["rule_ids"] == ["AA-A04"])
    declared = {a.id for a in cfg.agents}
    assert not declared & set(shadow["culprit_ids"])
    kinds = {a.kind for a in cfg.agents}
    assert kinds == {"agent_identity", "agent_user", "service_principal"}
    finance = next(a for a in cfg.agents if a.name == "Finance automation agent")
    assert finance.sponsor and finance.pii_clearance == ["financial"]


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes(tmp_path):
    kw = dict(days=8, agents=24, humans=40, scale=0.05)
    generate_tenant(tmp_path / "a", seed=3, **kw)
    generate_tenant(tmp_path / "b", seed=3, workers=2, **kw)  # days written in parallel
    generate_tenant(tmp_path / "c", seed=4, **kw)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    # gzip output too: no time stamp or file name in the gzip header
    generate_tenant(tmp_path / "gz1", seed=3, gzip_files=True, **kw)
    generate_tenant(tmp_path / "gz2", seed=3, gzip_files=True, **kw)
    assert _digest(tmp_path / "gz1") == _digest(tmp_path / "gz2")


KW = dict(days=8, agents=24, humans=40, scale=0.05, seed=5)


EVENTHUB_SAMPLES = {
    "SignInLogs": "event-hub/signinlogs-categories.jsonl",
    "AuditLogs": "event-hub/auditlogs.jsonl",
    "MicrosoftGraphActivityLogs": "event-hub/graph-activity.jsonl",
}


def test_eventhub_shape(tmp_path, samples_dir):
    generate_tenant(tmp_path, fmt="eventhub", **KW)
    files = list((tmp_path / "input" / "eventhub").rglob("*.json"))
    assert files
    by_category: dict[str, list[dict]] = defaultdict(list)
    for f in files:
        for line in _lines(f):
            assert len(line.encode()) < 1024 * 1024  # Event Hub's event size limit
            body = json.loads(line)
            assert list(body) == ["records"] and body["records"]
            for r in body["records"]:
                assert "category" in r and "properties" in r
                by_category[r["category"]].append(r)
    # envelope value types as the Event Hub samples have them (Level, level, durationMs)
    for category, sample_file in EVENTHUB_SAMPLES.items():
        sample = [json.loads(line) for line in _lines(samples_dir / sample_file)]
        s_env, _, _, _ = _shape(sample)
        g_env, _, _, _ = _shape(by_category[category])
        for key in ("Level", "level", "durationMs"):
            if key in g_env:
                assert key in s_env and g_env[key] <= s_env[key], (category, key)


def test_graph_api_shape(tmp_path):
    generate_tenant(tmp_path, fmt="graph", **KW)
    pages = list((tmp_path / "input" / "graph").glob("*.json"))
    assert any("signIns" in p.name for p in pages) and any(
        "directoryAudits" in p.name for p in pages
    )
    for p in pages:
        page = json.loads(p.read_text())
        assert page["@odata.context"].startswith("https://graph.microsoft.com/")
        for item in page["value"]:
            assert "id" in item and ("createdDateTime" in item or "activityDateTime" in item)
            if "createdDateTime" in item:
                assert item["signInEventTypes"]
    # Graph activity has no Graph API: written as the storage account writes it
    assert list((tmp_path / "input" / FOLDER["MicrosoftGraphActivityLogs"]).rglob("PT1H.json"))


def test_loganalytics_csv_shape(tmp_path):
    generate_tenant(tmp_path, fmt="loganalytics-csv", **KW)
    files = list((tmp_path / "input" / "loganalytics").glob("*.csv"))
    tables = {f.name.split("_")[0] for f in files}
    assert {
        "SigninLogs",
        "AADServicePrincipalSignInLogs",
        "AuditLogs",
        "MicrosoftGraphActivityLogs",
    } <= tables
    with open(next(f for f in files if f.name.startswith("SigninLogs")), newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and rows[0]["Type"] == "SigninLogs" and rows[0]["TimeGenerated"]
    assert json.loads(rows[0]["LocationDetails"])["countryOrRegion"]
    assert rows[0]["IPAddress"]


def test_portal_csv_shape(tmp_path):
    generate_tenant(tmp_path, fmt="portal-csv", **KW)
    files = list((tmp_path / "input" / "portal").glob("*.csv"))
    assert {f.name.split("_")[0] for f in files} >= {"InteractiveSignIns", "ApplicationSignIns"}
    raw = files[0].read_bytes()
    assert raw.startswith("\ufeff".encode())
    header = next(csv.reader([raw.decode("utf-8-sig").splitlines()[0]]))
    assert "Autonomous system  number" in header and "Application ID " in header
    assert header.count("Incoming token type") == 2


def test_mixed_uses_several_shapes(tmp_path):
    generate_tenant(tmp_path, fmt="mixed", **KW)
    present = {p.name for p in (tmp_path / "input").iterdir()}
    assert {"eventhub", "graph", "loganalytics", "portal"} <= present


def test_corrupt_adds_malformed_lines(tmp_path):
    summary = generate_tenant(tmp_path, corrupt=0.02, **KW)
    assert summary.corrupt_lines > 0
    bad = 0
    for f in (tmp_path / "input").rglob("PT1H.json"):
        for line in _lines(f):
            try:
                json.loads(line)
            except json.JSONDecodeError:
                bad += 1
    assert bad == summary.corrupt_lines


def test_gzip_output_and_usage_errors(tmp_path):
    summary = generate_tenant(tmp_path / "gz", gzip_files=True, **KW)
    assert all(p.suffix == ".gz" for p in (tmp_path / "gz" / "input").rglob("PT1H*"))
    assert summary.total_events > 0 and summary.incidents >= 21
    with pytest.raises(UsageError):
        generate_tenant(tmp_path / "x", fmt="parquet")
    with pytest.raises(UsageError):
        generate_tenant(tmp_path / "y", days=3)
    with pytest.raises(UsageError):
        generate_tenant(tmp_path / "z", humans=5)


def _cli(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from pipeline.cli import main; sys.argv[0] = 'agentaudit'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300
    )


def test_cli_generate_and_usage_errors(tmp_path):
    out = tmp_path / "t"
    done = _cli("generate", str(out), "--days", "7", "--humans", "40", "--scale", "0.05")
    assert done.returncode == 0, done.stderr
    assert "labelled incidents" in done.stdout and (out / "labels.json").is_file()
    again = _cli("generate", str(out), "--days", "7", "--humans", "40", "--scale", "0.05")
    assert again.returncode == 1 and "--overwrite" in again.stderr  # never clobbers silently
    bad = _cli("generate", str(tmp_path / "u"), "--days", "2")
    assert bad.returncode == 2 and "--days" in bad.stderr
    helped = _cli("generate", "--help")
    assert "Example:\n    agentaudit generate /tmp/tenant" in helped.stdout


@pytest.mark.parametrize("fmt", ["loganalytics-csv", "storage"])
def test_query_rows_and_office_activity_land_once(tmp_path, fmt):
    from pipeline.ingest import ingest_paths
    from pipeline.workspace import Workspace

    summary = generate_tenant(tmp_path / "t", fmt=fmt, **KW)
    la = tmp_path / "t" / "input" / "loganalytics"
    office = sorted(la.glob("OfficeActivity_*"))
    assert office, "every other day's mail reads are OfficeActivity rows"
    if fmt == "loganalytics-csv":
        assert all(f.suffix == ".csv" for f in office)
        queried = {f.name.split("_")[1] for f in la.glob("query_*.csv")}
        assert {"AuditLogs", "SigninLogs", "MicrosoftGraphActivityLogs"} <= queried
        with open(next(la.glob("query_AuditLogs_*.csv")), newline="") as fh:
            row = next(csv.DictReader(fh))
        assert row["Type"] == "AuditLogs_CL" and "InitiatingUser" in row
        assert "SourceSystem" not in row
        with open(next(la.glob("query_MicrosoftGraphActivityLogs_*.csv")), newline="") as fh:
            row = next(csv.DictReader(fh))
        assert "Type" not in row and row["RequestPath"] and "Category" not in row
    else:
        rows = json.loads(office[0].read_text())
        assert rows[0]["Type"] == "OfficeActivity" and rows[0]["OfficeId"]
        assert rows[0]["Operation"] == "MailItemsAccessed" and "Client_IPAddress" in rows[0]
    ws = Workspace.at(tmp_path / "ws")
    ws.lake.mkdir(parents=True)
    ingested = ingest_paths(ws, [tmp_path / "t" / "input"])
    assert ingested.quarantined == 0, ingested.quarantine_reasons
    assert ingested.duplicates == 0
    assert ingested.rows_written == summary.events
