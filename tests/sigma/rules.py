"""Small Sigma rules written for the tests (agentaudit ships none of SigmaHQ's), and running
their translation against a workspace's Sigma views."""

from __future__ import annotations

import uuid
from pathlib import Path

import yaml

from pipeline.sigma.rules import load_file
from pipeline.sigma.translate import Translation, translate_all


def rule_text(detection: dict, service: str = "auditlogs", **meta) -> str:
    """The YAML of a rule with ``detection`` (``condition`` defaults to ``selection``)."""
    body = {
        "title": meta.pop("title", "Test rule"),
        "id": meta.pop("id", str(uuid.uuid5(uuid.NAMESPACE_URL, repr(detection) + service))),
        "status": "test",
        "logsource": meta.pop("logsource", {"product": "azure", "service": service}),
        "detection": {**detection, "condition": detection.get("condition", "selection")},
        "level": meta.pop("level", "high"),
        **meta,
    }
    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


def write_rule(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(text, encoding="utf-8")
    return path


def translation(folder: Path, detection: dict, service: str = "auditlogs", **meta) -> Translation:
    path = write_rule(folder, uuid.uuid4().hex[:8], rule_text(detection, service, **meta))
    (only,) = translate_all(load_file(path))
    return only


def matched(con, t: Translation) -> set[str]:
    """The event ids the translated rule matches in its view."""
    assert t.ok, t.verdict()
    rows = con.execute(f"SELECT aa_event_id FROM {t.view} WHERE {t.where}", t.params).fetchall()
    return {r[0] for r in rows}
