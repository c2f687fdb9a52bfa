"""The agent registry: the [[agents]] of agentaudit.toml as tables, and its import from Graph.

``registry_tables(config)`` gives the Arrow tables the catalog loads: ``registry`` (one row per
declared agent), ``registry_keys`` (object id and app id, lower-cased, to agent id) and
``registry_allowed`` (one row per allowed_resources pattern, with the regex the SQL matcher uses).

``import_graph_export(workspace, file)`` merges a Microsoft Graph export of agent identities and
their sponsors (``GET /servicePrincipals/microsoft.graph.agentIdentity?$expand=sponsors`` or
``/users`` of agent users, as ``{"value": [...]}``, a JSON list or JSON lines) into the
workspace's agentaudit.toml: new agents are appended as ``[[agents]]`` blocks, known ones get
missing names, app ids, blueprints and sponsors filled in; nothing already declared is changed.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.config import AgentSpec, Config, load_config, parse_config
from pipeline.errors import AgentAuditError, UsageError
from pipeline.sensitivity import Entry as _Entry
from pipeline.sensitivity import pattern_rows
from pipeline.workspace import Workspace

REGISTRY_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("app_id", pa.string()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("blueprint", pa.string()),
        ("sponsor", pa.string()),
        ("owner", pa.string()),
        ("purpose", pa.string()),
        ("allowed_resources", pa.list_(pa.string())),
        ("access_packages", pa.list_(pa.string())),
        ("pii_clearance", pa.list_(pa.string())),
        ("on_behalf_of", pa.bool_()),
        ("active_hours", pa.string()),
        ("active_start_minute", pa.int64()),
        ("active_end_minute", pa.int64()),
        ("daily_request_limit", pa.int64()),
        ("countries", pa.list_(pa.string())),
        ("enabled", pa.bool_()),
        ("creation_channel", pa.string()),
    ]
)
KEYS_SCHEMA = pa.schema([("key", pa.string()), ("agent_id", pa.string())])
ALLOWED_SCHEMA = pa.schema(
    [
        ("agent_id", pa.string()),
        ("pattern", pa.string()),
        ("kind", pa.string()),  # path | name
        ("regex", pa.string()),
        ("key", pa.string()),
    ]
)


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def registry_tables(config: Config) -> dict[str, pa.Table]:
    """``registry``, ``registry_keys`` and ``registry_allowed`` for the catalog (ids lower-case)."""
    rows, keys, allowed = [], {}, []
    for agent in config.agents:
        agent_id = _lower(agent.id)
        minutes = agent.active_minutes
        rows.append(
            {
                "id": agent_id,
                "app_id": _lower(agent.app_id),
                "name": agent.name,
                "kind": agent.kind,
                "blueprint": _lower(agent.blueprint),
                "sponsor": agent.sponsor,
                "owner": agent.owner,
                "purpose": agent.purpose,
                "allowed_resources": list(agent.allowed_resources),
                "access_packages": list(agent.access_packages),
                "pii_clearance": [t.lower() for t in agent.pii_clearance],
                "on_behalf_of": agent.on_behalf_of,
                "active_hours": agent.active_hours,
                "active_start_minute": minutes[0] if minutes else None,
                "active_end_minute": minutes[1] if minutes else None,
                "daily_request_limit": agent.daily_request_limit,
                "countries": list(agent.countries),
                "enabled": agent.enabled,
                "creation_channel": agent.creation_channel,
            }
        )
        # the object id wins over another agent's app id when both claim a key
        keys[agent_id] = agent_id
        for pattern in pattern_rows(_Entry(p, None) for p in agent.allowed_resources):
            allowed.append(
                {
                    "agent_id": agent_id,
                    "pattern": pattern["pattern"],
                    "kind": pattern["kind"],
                    "regex": pattern["regex"],
                    "key": pattern["key"],
                }
            )
    for agent in config.agents:
        app = _lower(agent.app_id)
        if app and app not in keys:
            keys[app] = _lower(agent.id)
    return {
        "registry": pa.Table.from_pylist(rows, schema=REGISTRY_SCHEMA),
        "registry_keys": pa.Table.from_pylist(
            [{"key": k, "agent_id": v} for k, v in keys.items()], schema=KEYS_SCHEMA
        ),
        "registry_allowed": pa.Table.from_pylist(allowed, schema=ALLOWED_SCHEMA),
    }


# --- import from a Microsoft Graph export -------------------------------------------------------


@dataclass
class ImportSummary:
    file: str
    records: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # "line N: why"

    def line(self) -> str:
        return (
            f"{self.records} records from {self.file}: {len(self.added)} agents added, "
            f"{len(self.updated)} updated, {self.unchanged} unchanged, {len(self.skipped)} skipped"
        )


_ODATA_KIND = {
    "#microsoft.graph.agentidentity": "agent_identity",
    "#microsoft.graph.agentuser": "agent_user",
    "#microsoft.graph.agentidentityblueprintprincipal": "agent_blueprint",
    "#microsoft.graph.agentidentityblueprint": "agent_blueprint",
    "#microsoft.graph.serviceprincipal": "service_principal",
    "#microsoft.graph.user": "agent_user",
}


def _records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line, record) pairs from a Graph export: {"value": [...]}, a list, or JSON lines."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read it as UTF-8 text ({exc}); pass a JSON file") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        out = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise AgentAuditError(
                    f"{path}:{number}: not JSON ({exc.msg}); export with "
                    "`GET /servicePrincipals/microsoft.graph.agentIdentity?$expand=sponsors`"
                ) from exc
            out.append((number, record))
        return out
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        data = data["value"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise AgentAuditError(f"{path}:1: expected a Graph collection {{'value': [...]}}")
    # line numbers of list items are not tracked by json; 1-based item numbers instead
    return [(i, r) for i, r in enumerate(data, start=1)]


def _sponsor(record: dict[str, Any]) -> str | None:
    sponsors = record.get("sponsors")
    if isinstance(sponsors, list):
        names = []
        for s in sponsors:
            if isinstance(s, dict):
                name = s.get("userPrincipalName") or s.get("mail") or s.get("id")
                if isinstance(name, str) and name:
                    names.append(name)
            elif isinstance(s, str) and s:
                names.append(s)
        if names:
            return ", ".join(names)
    value = record.get("sponsor")
    return value if isinstance(value, str) and value else None


def _kind(record: dict[str, Any]) -> str:
    odata = str(record.get("@odata.type") or "").lower()
    if odata in _ODATA_KIND:
        return _ODATA_KIND[odata]
    if record.get("agentIdentityBlueprintId") or record.get("servicePrincipalType") == "Agent":
        return "agent_identity"
    if record.get("identityParentId") or record.get("userPrincipalName"):
        return "agent_user"
    return "agent_identity"


def _spec_fields(record: dict[str, Any]) -> dict[str, Any]:
    def text(*names: str) -> str | None:
        for n in names:
            v = record.get(n)
            if isinstance(v, str) and v.strip():
                return v.strip()
        return None

    return {
        "id": text("id"),
        "app_id": text("appId"),
        "name": text("displayName", "userPrincipalName"),
        "kind": _kind(record),
        "blueprint": text("agentIdentityBlueprintId", "blueprintAppId", "parentAppId"),
        "sponsor": _sponsor(record),
        "owner": text("owner"),
        "enabled": record.get("accountEnabled")
        if isinstance(record.get("accountEnabled"), bool)
        else None,
    }


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _block(fields: dict[str, Any]) -> str:
    lines = ["", "[[agents]]  # imported from Microsoft Graph"]
    for key in ("id", "app_id", "name", "kind", "blueprint", "sponsor", "owner"):
        if fields.get(key):
            lines.append(f"{key} = {_toml_str(fields[key])}")
    if fields.get("enabled") is False:
        lines.append("enabled = false")
    return "\n".join(lines) + "\n"


def import_graph_export(workspace: Workspace, file: str | Path) -> ImportSummary:
    """Merge agent identities (and sponsors) from a Graph export into agentaudit.toml."""
    path = Path(file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file; pass the JSON exported from Microsoft Graph")
    config = load_config(workspace)
    summary = ImportSummary(file=str(path))
    records = _records(path)
    summary.records = len(records)
    known = {a.id.lower(): a for a in config.agents}
    additions: list[str] = []
    updates: dict[str, dict[str, Any]] = {}
    for number, record in records:
        if not isinstance(record, dict):
            summary.skipped.append(f"record {number}: not a JSON object")
            continue
        fields = _spec_fields(record)
        if not fields["id"]:
            summary.skipped.append(f"record {number}: no 'id'")
            continue
        try:
            AgentSpec.model_validate({k: v for k, v in fields.items() if v is not None})
        except Exception as exc:  # noqa: BLE001 - report and continue with the others
            summary.skipped.append(f"record {number}: {exc}")
            continue
        existing = known.get(fields["id"].lower())
        if existing is None:
            additions.append(_block(fields))
            summary.added.append(fields["id"])
            known[fields["id"].lower()] = AgentSpec(id=fields["id"])
            continue
        missing = {
            k: fields[k]
            for k in ("app_id", "name", "blueprint", "sponsor", "owner")
            if fields.get(k) and getattr(existing, k, None) is None
        }
        if missing:
            updates[existing.id] = missing
            summary.updated.append(existing.id)
        else:
            summary.unchanged += 1
    if not additions and not updates:
        return summary
    text = (
        workspace.config_file.read_text(encoding="utf-8") if workspace.config_file.exists() else ""
    )
    text = _apply_updates(text, updates) + "".join(additions)
    parse_config(text, workspace.config_file)  # never write a file we could not read back
    workspace.root.mkdir(parents=True, exist_ok=True)
    tmp = workspace.config_file.with_name(f".{workspace.config_file.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, workspace.config_file)
    return summary


def _apply_updates(text: str, updates: dict[str, dict[str, Any]]) -> str:
    """Insert missing keys right after the ``id = …`` line of each updated [[agents]] block."""
    if not updates:
        return text
    lines = text.splitlines(keepends=True)
    out = []
    in_agents = False
    for line in lines:
        out.append(line)
        stripped = line.strip()
        if stripped.startswith("["):
            in_agents = stripped.startswith("[[agents]]")
            continue
        if in_agents and stripped.startswith("id") and "=" in stripped:
            try:
                value = tomllib.loads(stripped)
            except tomllib.TOMLDecodeError:
                continue
            agent_id = value.get("id")
            if isinstance(agent_id, str) and agent_id in updates:
                if not out[-1].endswith("\n"):
                    out[-1] += "\n"
                for key, val in updates.pop(agent_id).items():
                    out.append(f"{key} = {_toml_str(val)}  # imported from Microsoft Graph\n")
    return "".join(out)
