"""AA-C01: a credential added to an app, high-impact scopes granted to it, then its data access.

The textbook consent / credential abuse: a person adds a secret to an app registration (often
from PowerShell), grants it delegated or application Mail.ReadWrite on Microsoft Graph, and the app
reads mail with it. AA-G01 and AA-G02 each report their step; this rule reports the sequence as
one critical finding naming all three, from the first day of a lake (no baseline needed).
"""

from __future__ import annotations

import re
from typing import ClassVar

from detectors.cases import audit_row, audit_target
from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.rules.aa_g01_credential_added import CREDENTIAL_ACTIVITIES, SCRIPTED_CLIENTS
from detectors.rules.aa_g02_role_granted import DATA_SCOPES, GRANT_ACTIVITIES, PRIVILEGED
from detectors.sql_rule import SqlRule, fact, label, owner_pairs, plural, with_registry

APP, APP_OBJ, SP = "app-1", "app-obj-1", "sp-1"


def _credential(time: str, activity: str = "Add service principal credentials") -> dict:
    app = audit_target(
        APP_OBJ, "Application", "Invoice helper", props=[("KeyDescription", "[key]")]
    )
    return audit_row(
        "cred",
        time,
        activity,
        [app],
        by="eve@contoso.com",
        user_agent="Mozilla/5.0 (Windows NT 10.0) WindowsPowerShell/5.1.22621",
        additional_details=[("AppId", APP)],
    )


def _grant(time: str, scope: str) -> dict:
    """An application permission as Entra logs it: on Microsoft Graph, naming the client."""
    graph = audit_target(
        "sp-graph",
        name="Microsoft Graph",
        props=[
            ("AppRole.Value", scope),
            ("ServicePrincipal.ObjectID", SP),
            ("ServicePrincipal.AppId", APP),
            ("ServicePrincipal.DisplayName", "Invoice helper"),
        ],
    )
    activity = "Add app role assignment to service principal"
    return audit_row("grant", time, activity, [graph], by="eve@contoso.com")


def _mail_read(event_id: str, time: str) -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "source_log": "m365",
        "actor_kind": "service_principal",
        "actor_id": APP,
        "app_id": APP,
        "token_type": "app",
        "operation": "MailItemsAccessed",
        "request_uri": "\\Inbox",
        "user_principal_name": "ceo@contoso.com",
    }


#: an application created, given its first secret and Mail.Read by eve, then reading mail
_BORN = {
    "audits": [
        {**_credential("2026-03-10T09:10:00Z", "Add application"), "event_id": "born"},
        _credential("2026-03-10T09:14:00Z"),
        _grant("2026-03-10T09:20:00Z", "Mail.Read"),
    ],
    "activity": [_mail_read("m1", "2026-03-10T10:00:00Z")],
}
#: the registry naming eve as the application's owner
_OWNED = f"""
[[agents]]
id = "{SP}"
app_id = "{APP}"
name = "Invoice helper"
kind = "service_principal"
owner = "eve@contoso.com"
"""


class CredentialGrantAccess(SqlRule):
    id = "AA-C01"
    family = "credential_or_privilege_change"
    severity = "critical"
    title = "Credential added, high-impact scopes granted, then data accessed by the same app"
    attacks = ("T1098.001", "T1098.003", "T1528", "T1114.002")
    runbook = (
        "Treat as an intrusion until the initiator proves otherwise: remove the new credential and "
        "the grant, revoke the app's tokens, and review every mailbox, file and site it reached "
        "after the grant."
    )
    defaults: ClassVar[dict] = {
        "window_hours": 24,
        "credential_pattern": CREDENTIAL_ACTIVITIES,
        "grant_pattern": GRANT_ACTIVITIES,
        "impact_pattern": f"{DATA_SCOPES}|{PRIVILEGED}",
        "scripted_pattern": SCRIPTED_CLIENTS,
        "max_evidence": 200,
    }

    cases: ClassVar[list[Case]] = [
        Case(
            name="its owner creates an app, adds a secret and Mail.Read, it reads: provisioning",
            fires=False,
            day="2026-03-10",
            config=_OWNED,
            rows=_BORN,
        ),
        Case(
            name="someone else creates an app, gives it a secret and Mail.Read, it reads mail",
            fires=True,
            day="2026-03-10",
            rows=_BORN,
        ),
        Case(
            name="secret from PowerShell, Mail.Read granted, then the app reads mail: critical",
            fires=True,
            day="2026-03-10",
            rows={
                "audits": [
                    _credential("2026-03-10T09:14:00Z"),
                    _grant("2026-03-10T09:20:00Z", "Mail.Read"),
                ],
                "activity": [
                    _mail_read("m1", "2026-03-10T10:00:00Z"),
                    _mail_read("m2", "2026-03-10T10:05:00Z"),
                ],
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].severity == "critical"
                and fs[0].identity.id == SP
                and fs[0].identity.app_id == APP
                and fs[0].evidence_event_ids == ("cred", "grant", "m1", "m2")
                and all(
                    w in fs[0].explanation
                    for w in ("eve@contoso.com", "Mail.Read", "MailItemsAccessed", "PowerShell")
                )
            ),
        ),
        Case(
            name="the chain across midnight is judged on the day the data was read",
            fires=True,
            day="2026-03-11",
            rows={
                "audits": [
                    _credential("2026-03-10T22:00:00Z"),
                    _grant("2026-03-10T23:30:00Z", "Files.Read.All"),
                ],
                "activity": [_mail_read("m1", "2026-03-11T01:00:00Z")],
            },
            check=lambda fs: len(fs) == 1 and fs[0].evidence_event_ids[:2] == ("cred", "grant"),
        ),
        Case(
            name="data read before the grant, a narrow scope, or a grant days later: no chain",
            fires=False,
            day="2026-03-10",
            rows={
                "audits": [
                    _credential("2026-03-08T09:00:00Z"),  # two days before the grant
                    _grant("2026-03-10T09:20:00Z", "Mail.Read"),
                    {**_grant("2026-03-10T09:21:00Z", "User.Read"), "event_id": "narrow"},
                ],
                "activity": [_mail_read("m0", "2026-03-10T09:00:00Z")],
            },
        ),
        Case(
            name="credential and grant but the app has not used them yet: no chain",
            fires=False,
            day="2026-03-10",
            rows={
                "audits": [
                    _credential("2026-03-10T09:14:00Z"),
                    _grant("2026-03-10T09:20:00Z", "Mail.ReadWrite"),
                ],
                "activity": [{**_mail_read("other", "2026-03-10T10:00:00Z"), "app_id": "app-2"}],
            },
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        return {
            "window_hours": int(p["window_hours"]),
            "credential_pattern": str(p["credential_pattern"]),
            "grant_pattern": str(p["grant_pattern"]),
            "impact_pattern": str(p["impact_pattern"]),
            "owner_pairs": owner_pairs(ctx),
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, raw: dict, q: dict) -> Finding:
        scripted = re.compile(str(q["scripted_pattern"]))
        r = with_registry(ctx, raw, "serviceprincipal", None)
        r["app_id"] = r.get("app_id") or raw["chain_app_id"]
        client = raw["credential_client"] or ""
        from_script = bool(scripted.search(client.lower()))
        steps = (
            f"{raw['credential_by'] or 'an unknown initiator'} added a credential "
            f"({raw['credential_activity'].strip()}"
            + (f", from {client}" if from_script else "")
            + f") at {raw['credential_time']:%Y-%m-%d %H:%M} UTC; "
            f"{raw['grant_by'] or 'an unknown initiator'} granted it {raw['granted']}"
            + (f" on {raw['resources']}" if raw["resources"] else "")
            + f" at {raw['grant_time']:%H:%M}; then the app made "
            f"{plural(raw['n_access'], 'data access')} ({raw['operations']}) from "
            f"{raw['first_time']:%H:%M}"
        )
        explanation = f"Credential, grant and data access on {label(r)}: {steps}."
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact(
                    "chain_hours",
                    "hours from the first change to the first data access",
                    float(q["window_hours"]),
                    round((raw["first_time"] - raw["window_start"]).total_seconds() / 3600, 2),
                ),
                fact(
                    "scripted_client",
                    "credential added from a scripted client",
                    False,
                    from_script,
                ),
            ],
            severity="critical",
            details={
                "credential_by": raw["credential_by"],
                "credential_client": client or None,
                "app_registration_id": raw["credential_object"],
                "grant_by": raw["grant_by"],
                "granted": raw["granted"],
                "data_accesses": raw["n_access"],
                "operations": raw["operations"],
            },
        )
