"""Finding → one ``AgentAuditFinding_CL`` row for Microsoft Sentinel (the Logs Ingestion API).

The row is shaped like Sentinel's ``SecurityAlert`` table (AlertName, AlertSeverity,
SystemAlertId, Entities, ExtendedProperties, …) plus agentaudit's own columns. ``COLUMNS`` is the
one column list: the rows, the ARM template's table and DCR stream declaration, the analytics
rule and the ASIM parser (``pipeline.siem.sentinel_deploy``) are all generated from it.

Every string value is cut to ``FIELD_LIMIT`` bytes (as sent, JSON-escaped) with a visible marker,
so the service never truncates silently (it cuts field values at 64 KB).
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from detectors.finding import Finding, Identity
from pipeline import __version__
from pipeline.siem.ocsf import runbook_of

TABLE = "AgentAuditFinding_CL"
STREAM = f"Custom-{TABLE}"
PROVIDER = "agentaudit"
#: the service truncates a field value above 64 KB; we cut below it, as JSON text on the wire
FIELD_LIMIT = 64 * 1024 - 512
TRUNCATED = "…[truncated by agentaudit: {n} bytes cut]"

#: column names the Logs Ingestion API refuses in a custom table
RESERVED = ("id", "TenantId", "Type", "UniqueId", "Title", "_ResourceId", "_SubscriptionId")
#: Log Analytics table column types (the DCR stream declaration spells dateTime "datetime")
TYPES = ("string", "int", "long", "real", "boolean", "dateTime", "dynamic", "guid")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


COLUMNS: tuple[Column, ...] = (
    Column("TimeGenerated", "dateTime", "When agentaudit sent the row"),
    Column("AlertName", "string", "The finding's title"),
    Column("AlertSeverity", "string", "High, Medium, Low or Informational"),
    Column("Description", "string", "Why the finding was raised, in words"),
    Column("ProviderName", "string", "Always agentaudit"),
    Column("ProductName", "string", "Always agentaudit"),
    Column("VendorName", "string", "Always agentaudit"),
    Column("ProductVersion", "string", "The agentaudit version that sent the row"),
    Column("SystemAlertId", "string", "The finding's stable id: one finding, one id"),
    Column("StartTime", "dateTime", "Start of the judged window"),
    Column("EndTime", "dateTime", "End of the judged window"),
    Column("Status", "string", "New, or Dismissed when suppressed in agentaudit.toml"),
    Column("Tactics", "string", "MITRE ATT&CK tactics, comma separated (Sentinel names)"),
    Column("Techniques", "string", "MITRE ATT&CK technique ids as a JSON array"),
    Column("CompromisedEntity", "string", "The acting identity's name, or its id"),
    Column("RemediationSteps", "string", "The rule's runbook line"),
    Column("ConfidenceScore", "real", "The finding's score divided by 100 (0 to 1)"),
    Column("Entities", "dynamic", "Sentinel entities: account, cloud-application, ip"),
    Column("ExtendedProperties", "dynamic", "Rule, family, identity, accountable human, facts"),
    Column("RuleId", "string", "agentaudit rule id, e.g. AA-G02"),
    Column("Family", "string", "agentaudit finding family"),
    Column("IdentityId", "string", "Object id of the acting identity"),
    Column("IdentityName", "string", "Display name of the acting identity"),
    Column("IdentityKind", "string", "agent_identity, agent_user, human, service_principal, …"),
    Column("AppId", "string", "Application (client) id of the acting identity"),
    Column("Accountable", "string", "The human accountable: sponsor, owner or delegating user"),
    Column("AadTenantId", "string", "Entra tenant id"),
    Column("Score", "real", "agentaudit score, 0 to 100"),
    Column("EvidenceCount", "long", "Events behind the finding"),
    Column("WorkspaceRun", "string", "The agentaudit run that raised the finding"),
)
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)

SEVERITY = {
    "critical": "High",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
    "info": "Informational",
}
SEVERITY_IDS = {"Informational": 1, "Low": 2, "Medium": 3, "High": 4}
STATUS_IDS = {"New": 1, "Dismissed": 3}

#: MITRE ATT&CK tactic ids → the names Sentinel uses in Tactics and analytics rules
TACTICS = {
    "TA0001": "InitialAccess",
    "TA0002": "Execution",
    "TA0003": "Persistence",
    "TA0004": "PrivilegeEscalation",
    "TA0005": "DefenseEvasion",
    "TA0006": "CredentialAccess",
    "TA0007": "Discovery",
    "TA0008": "LateralMovement",
    "TA0009": "Collection",
    "TA0010": "Exfiltration",
    "TA0011": "CommandAndControl",
    "TA0040": "Impact",
    "TA0042": "ResourceDevelopment",
    "TA0043": "Reconnaissance",
}
#: the techniques agentaudit's rules declare → their ATT&CK tactics (enterprise matrix)
TECHNIQUE_TACTICS = {
    "T1059": ("Execution",),
    "T1069": ("Discovery",),
    "T1078": ("InitialAccess", "Persistence", "PrivilegeEscalation", "DefenseEvasion"),
    "T1087": ("Discovery",),
    "T1098": ("Persistence", "PrivilegeEscalation"),
    "T1110": ("CredentialAccess",),
    "T1114": ("Collection",),
    "T1119": ("Collection",),
    "T1136": ("Persistence",),
    "T1213": ("Collection",),
    "T1526": ("Discovery",),
    "T1528": ("CredentialAccess",),
    "T1530": ("Collection",),
    "T1550": ("DefenseEvasion", "LateralMovement"),
    "T1552": ("CredentialAccess",),
    "T1578": ("DefenseEvasion",),
}
_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
_IP_KEY = re.compile(r"(^|_)(ip|ips|ip_address|ip_addresses|client_ip|address)$", re.IGNORECASE)


def iso(moment: datetime) -> str:
    """A fixed-width ISO 8601 UTC timestamp (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def tactics_of(attacks: tuple[str, ...] | list[str]) -> list[str]:
    """Sentinel tactic names of MITRE ids (tactic ids and the techniques we know), in order."""
    out: list[str] = []
    for raw in attacks:
        uid = str(raw).strip().upper()
        names = (TACTICS[uid],) if uid in TACTICS else TECHNIQUE_TACTICS.get(uid[:5], ())
        out.extend(n for n in names if n not in out)
    return out


def techniques_of(attacks: tuple[str, ...] | list[str]) -> list[str]:
    out: list[str] = []
    for raw in attacks:
        uid = str(raw).strip().upper()
        if _TECHNIQUE.match(uid) and uid not in out:
            out.append(uid)
    return out


def accountable(finding: Finding) -> str:
    """The human accountable for the acting identity, as the engine named it (sponsor, else an
    owner, else the delegating user), or 'unaccountable'."""
    return finding.accountable


def _encoded_size(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2


def cut(text: str, limit: int = FIELD_LIMIT) -> str:
    """``text`` whose JSON-escaped UTF-8 form fits ``limit`` bytes, cut with a marker if not
    (a lone surrogate, which UTF-8 cannot carry, becomes '?')."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    size = _encoded_size(text)
    if size <= limit:
        return text
    marker = TRUNCATED.format(n=size)  # an upper bound of what is cut: one number, still true
    room = limit - _encoded_size(marker)
    lo, hi = 0, min(len(text), room)
    while lo < hi:  # the longest prefix that fits (escapes make bytes ≠ characters)
        mid = (lo + hi + 1) // 2
        if _encoded_size(text[:mid]) <= room:
            lo = mid
        else:
            hi = mid - 1
    kept = text[:lo]
    return kept + TRUNCATED.format(n=size - _encoded_size(kept))


def _cut_deep(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return cut(value, limit)
    if isinstance(value, dict):
        return {cut(str(k), limit): _cut_deep(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cut_deep(v, limit) for v in value]
    return value


def cut_dynamic(value: Any, limit: int = FIELD_LIMIT) -> Any:
    """A dynamic (JSON) value whose JSON text fits ``limit`` bytes: long strings inside are cut,
    then long lists shortened, each with a marker, until it does."""
    size = len(json.dumps(value, ensure_ascii=False).encode())
    share = limit
    while size > limit and share > 256:
        share //= 2
        value = _cut_deep(value, share)
        size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > limit:  # very many small items: keep the head of every list
        value = _head_lists(value, 16)
        size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > limit:  # very many keys: the value as text, cut
        value = {"Truncated": cut(json.dumps(value, ensure_ascii=False), limit // 2)}
    return value


def _head_lists(value: Any, keep: int) -> Any:
    if isinstance(value, dict):
        return {k: _head_lists(v, keep) for k, v in value.items()}
    if isinstance(value, list):
        head = [_head_lists(v, keep) for v in value[:keep]]
        if len(value) > keep:
            head.append(TRUNCATED.format(n=len(value) - keep).replace("bytes", "items"))
        return head
    return value


def _upn_suffix(name: str) -> tuple[str, str | None]:
    if "@" in name:
        user, _, domain = name.rpartition("@")
        return user, domain
    return name, None


def _account(identity: Identity, ref: int, tenant: str | None) -> dict[str, Any]:
    entity: dict[str, Any] = {"$id": str(ref), "Type": "account", "AadUserId": identity.id}
    if identity.name:
        name, suffix = _upn_suffix(identity.name)
        entity["Name"] = name
        entity["DisplayName"] = identity.name
        if suffix:
            entity["UPNSuffix"] = suffix
    if tenant:
        entity["AadTenantId"] = tenant
    return entity


def ip_addresses(finding: Finding) -> list[str]:
    """Valid IP addresses in the finding's details and baseline facts named like an IP."""
    values: list[Any] = [v for k, v in finding.details.items() if _IP_KEY.search(k)]
    values += [f.observed for f in finding.baseline if _IP_KEY.search(f.name)]
    out: list[str] = []
    for value in values:
        for part in str(value or "").replace(";", ",").split(","):
            try:
                address = ipaddress.ip_address(part.strip()).compressed
            except ValueError:
                continue
            if address not in out:
                out.append(address)
    return out


def entities(finding: Finding) -> list[dict[str, Any]]:
    """Sentinel's entity format: the acting account, its application, the person it acted for,
    and the IP addresses named in the finding."""
    out = [_account(finding.identity, 1, finding.tenant_id)]
    if finding.identity.app_id:
        app: dict[str, Any] = {
            "$id": str(len(out) + 1),
            "Type": "cloud-application",
            "Name": finding.identity.name or finding.identity.app_id,
            "InstanceName": finding.identity.app_id,
        }
        out.append(app)
    if finding.on_behalf_of is not None:
        out.append(_account(finding.on_behalf_of, len(out) + 1, finding.tenant_id))
    for address in ip_addresses(finding):
        out.append({"$id": str(len(out) + 1), "Type": "ip", "Address": address})
    return out


def extended_properties(finding: Finding) -> dict[str, Any]:
    ident = finding.identity
    total = int(finding.details.get("evidence_total") or len(finding.evidence_event_ids))
    out: dict[str, Any] = {
        "RuleId": finding.rule_id,
        "Family": finding.family,
        "IdentityKind": ident.kind,
        "IdentityKindSource": ident.kind_source,
        "Blueprint": ident.blueprint,
        "Sponsor": ident.sponsor,
        "Accountable": accountable(finding),
        "AccountableBasis": finding.accountable_basis,
        "EvidenceCount": total,
        "EvidenceEventIds": list(finding.evidence_event_ids),
        "Baseline": [fact.model_dump() for fact in finding.baseline],
        "Attacks": list(finding.attacks),
        "Details": dict(finding.details),
    }
    if finding.on_behalf_of is not None:
        obo = finding.on_behalf_of
        out["OnBehalfOf"] = {"Id": obo.id, "Name": obo.name, "Kind": obo.kind}
    if finding.suppressed is not None:
        out["Suppression"] = finding.suppressed.model_dump()
    return out


def sentinel_row(finding: Finding, generated: datetime | None = None) -> dict[str, Any]:
    """One ``AgentAuditFinding_CL`` row: exactly ``COLUMN_NAMES``, every value within limits."""
    ident = finding.identity
    suppressed = finding.suppressed is not None
    total = int(finding.details.get("evidence_total") or len(finding.evidence_event_ids))
    runbook = runbook_of(finding)
    row: dict[str, Any] = {
        "TimeGenerated": iso(generated or datetime.now(UTC)),
        "AlertName": finding.title,
        "AlertSeverity": SEVERITY[finding.severity],
        "Description": finding.explanation,
        "ProviderName": PROVIDER,
        "ProductName": PROVIDER,
        "VendorName": PROVIDER,
        "ProductVersion": __version__,
        "SystemAlertId": finding.finding_id,
        "StartTime": iso(finding.window_start),
        "EndTime": iso(finding.window_end),
        "Status": "Dismissed" if suppressed else "New",
        "Tactics": ", ".join(tactics_of(finding.attacks)),
        "Techniques": json.dumps(techniques_of(finding.attacks)),
        "CompromisedEntity": ident.name or ident.id,
        "RemediationSteps": runbook,
        "ConfidenceScore": round(finding.score / 100, 4),
        "Entities": entities(finding),
        "ExtendedProperties": extended_properties(finding),
        "RuleId": finding.rule_id,
        "Family": finding.family,
        "IdentityId": ident.id,
        "IdentityName": ident.name,
        "IdentityKind": ident.kind,
        "AppId": ident.app_id,
        "Accountable": accountable(finding),
        "AadTenantId": finding.tenant_id,
        "Score": float(finding.score),
        "EvidenceCount": total,
        "WorkspaceRun": finding.run_id,
    }
    for column in COLUMNS:
        value = row[column.name]
        if column.type == "dynamic":
            row[column.name] = cut_dynamic(value)
        elif isinstance(value, str):
            row[column.name] = cut(value)
    return row


def row_size(row: dict[str, Any]) -> int:
    """Bytes of ``row`` as sent: compact JSON, UTF-8."""
    return len(json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode())


def fit_row(row: dict[str, Any], limit: int) -> dict[str, Any]:
    """``row`` with its text and dynamic columns cut further until it fits ``limit`` bytes (only
    a row of many near-64 KB hostile values needs this: one request holds at least one row)."""
    share = FIELD_LIMIT
    while row_size(row) > limit and share > 64:
        share //= 2
        row = {
            c.name: cut_dynamic(row[c.name], share)
            if c.type == "dynamic"
            else cut(row[c.name], share)
            if isinstance(row[c.name], str) and c.name not in _KEEP
            else row[c.name]
            for c in COLUMNS
        }
    return row


#: never cut when fitting a row: the ledger and the table's time key on them
_KEEP = ("TimeGenerated", "SystemAlertId", "Status", "AlertSeverity", "StartTime", "EndTime")


def delivery_key(row: dict[str, Any]) -> tuple[str, int, int]:
    """What the ledger of a Sentinel destination records: finding id, status, severity."""
    return (
        str(row["SystemAlertId"]),
        STATUS_IDS.get(str(row["Status"]), 0),
        SEVERITY_IDS.get(str(row["AlertSeverity"]), 0),
    )
