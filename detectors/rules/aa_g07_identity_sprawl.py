"""AA-G07: agent-identity sprawl: a burst of new agent identities under one blueprint, or a
blueprint principal that entered the tenant through a user's consent.

Every agent identity blueprint principal may create agent identities as their manager (up to 250
each, and that permission cannot be revoked from it), so a blueprint minting identities far
beyond its habit is how an agent estate sprawls out of sight. A blueprint principal consented to
by a user, not an admin, brings that power in without an administrator ever seeing it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from detectors.cases import audit_row, audit_target
from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import SqlRule, fact, label, plural

CONSENT_SQL = "aa_g07_identity_sprawl_consent"
WHO_SQL = "aa_g07_identity_sprawl_who"

BLUEPRINT_APP = "bp-sched"


def _created(n: int, day: str, start_minute: int = 0, step_minutes: int = 2) -> list[dict]:
    """``n`` agent identities created by the scheduling blueprint's principal, as Entra logs an
    agent identity a blueprint creates as its manager: 'Add service principal' initiated by the
    blueprint's app, the new identity's agentType AgenticAppInstance."""
    rows = []
    for i in range(n):
        minute = start_minute + i * step_minutes
        made = audit_target(f"ai-{day}-{i}", name=f"Scheduler {i}", agent_type="AgenticAppInstance")
        rows.append(
            audit_row(
                f"c-{day}-{i}",
                f"{day}T{9 + minute // 60:02d}:{minute % 60:02d}:00Z",
                "Add service principal",
                [made],
                by="Scheduling blueprint",
                by_kind="service_principal",
                initiator_app_id=BLUEPRINT_APP,
            )
        )
    return rows


def _consent(event_id: str, is_admin: str, by: str) -> dict:
    blueprint = audit_target(
        "sp-vendor-bp",
        name="Vendor scheduling blueprint",
        agent_type="agentIdentityBlueprintPrincipal",
        props=[
            ("ConsentContext.IsAdminConsent", is_admin),
            ("AppOwnerOrganizationId", "vendor-tenant"),
        ],
    )
    return audit_row(event_id, "2026-06-10T14:00:00Z", "Consent to application", [blueprint], by=by)


def _first_signins(n: int, day: str, blueprint: str = "bp-legacy") -> list[dict]:
    """``n`` agent identities of one blueprint signing in for the first time, minutes apart (no
    audit names their creation: the export holds sign-ins only)."""
    return [
        {
            "event_id": f"s-{day}-{blueprint}-{i}",
            "event_time": f"{day}T10:{i:02d}:00Z",
            "log_type": "service_principal",
            "service_principal_id": f"{blueprint}-ai-{i}",
            "app_id": f"{blueprint}-app-{i}",
            "agent_type": "agenticAppInstance",
            "agent_parent_app_id": blueprint,
            "resource_display_name": "Microsoft Graph",
            "succeeded": True,
        }
        for i in range(n)
    ]


def _steady_history(days: int, per_day: int) -> list[dict]:
    return [
        row
        for d in range(1, days + 1)
        for row in _created(per_day, f"2026-06-{d:02d}", step_minutes=3)
    ]


def _with_known(row: dict, known: dict[str, dict], kind_source: str | None) -> dict:
    """The row as a blueprint principal (what the query found it to be) with its name, app id
    and sponsor from the identities view, and the view's kind source when it agrees."""
    i = known.get(row["identity_id"], {})
    agrees = i.get("actor_kind") == "agent_blueprint"
    return {
        **row,
        "identity_kind": "agent_blueprint",
        "kind_source": kind_source or (i.get("kind_source") if agrees else None) or "none",
        "identity_name": row.get("identity_name") or i.get("name"),
        "app_id": row.get("app_id") or i.get("app_id"),
        "blueprint": row.get("blueprint") or i.get("blueprint"),
        "sponsor": i.get("sponsor"),
    }


class IdentitySprawl(SqlRule):
    id = "AA-G07"
    family = "credential_or_privilege_change"
    severity = "medium"
    title = "Agent-identity sprawl: a burst of new identities, or a blueprint a user consented to"
    attacks = ("T1136", "T1098")
    runbook = (
        "Ask the blueprint's owner or sponsor why it created these identities; disable the ones "
        "nobody claims and review what they were granted. For a blueprint principal a user "
        "consented to, have an admin review the consent, remove it if it is not approved, and "
        "restrict user consent for apps that request AgentIdentity.* permissions."
    )
    defaults: ClassVar[dict] = {
        "burst_count": 10,  # identities in one window before it is a burst at all
        "burst_hours": 1.0,  # the window
        "history_days": 30,  # the blueprint's own history
        "history_factor": 2.0,  # and more than this many times its busiest day in it
        "high_count": 50,  # a burst this large is high
        "learning_days": 7,  # first sightings count once the lake holds this many days
        "max_evidence": 200,
    }

    cases: ClassVar[list[Case]] = [
        Case(
            name="a blueprint mints 12 agent identities in 24 minutes, never more than 3 a day",
            fires=True,
            day="2026-06-10",
            rows={"audits": _steady_history(5, 3) + _created(12, "2026-06-10")},
            check=lambda fs: (
                len(fs) == 1
                and fs[0].severity == "medium"
                and fs[0].identity.blueprint == BLUEPRINT_APP
                and fs[0].details["burst_identities"] == 12
                and len(fs[0].evidence_event_ids) == 12
                and "at most 3" in fs[0].explanation
            ),
        ),
        Case(
            name="60 identities in an hour from a new blueprint: high",
            fires=True,
            day="2026-06-10",
            rows={"audits": _created(60, "2026-06-10", step_minutes=1)},
            check=lambda fs: len(fs) == 1 and fs[0].severity == "high",
        ),
        Case(
            name="a steady blueprint making a few a day, or its usual dozen at once, stays quiet",
            fires=False,
            day="2026-06-10",
            rows={"audits": _steady_history(5, 12) + _created(12, "2026-06-10")},
        ),
        Case(
            name="a few identities a day spread over the day stays quiet",
            fires=False,
            day="2026-06-10",
            rows={"audits": _created(9, "2026-06-10", step_minutes=50)},
        ),
        Case(
            name="a dozen identities of one blueprint first seen within the hour, no audit",
            fires=True,
            day="2026-06-10",
            rows={
                "signins": _first_signins(1, "2026-06-01", "bp-old")
                + _first_signins(12, "2026-06-10")
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.blueprint == "bp-legacy"
                and fs[0].details["burst_identities"] == 12
                and len(fs[0].evidence_event_ids) == 12
            ),
        ),
        Case(
            name="the first day of the lake is not a burst: every identity is new then",
            fires=False,
            day="2026-06-10",
            rows={"signins": _first_signins(12, "2026-06-10")},
        ),
        Case(
            name="a consent that does not say whether an admin gave it says nothing here",
            fires=False,
            day="2026-06-10",
            rows={
                "audits": [
                    {
                        **_consent("k3", "False", "bob@contoso.com"),
                        "targets": [
                            {
                                **_consent("k3", "False", "bob@contoso.com")["targets"][0],
                                "modified_properties": [],
                            }
                        ],
                    }
                ]
            },
        ),
        Case(
            name="a user consents to a vendor's agent blueprint principal: high",
            fires=True,
            day="2026-06-10",
            rows={"audits": [_consent("k1", "False", "bob@contoso.com")]},
            check=lambda fs: (
                len(fs) == 1
                and fs[0].severity == "high"
                and fs[0].identity.id == "sp-vendor-bp"
                and fs[0].identity.kind == "agent_blueprint"
                and "bob@contoso.com" in fs[0].explanation
                and fs[0].evidence_event_ids == ("k1",)
            ),
        ),
        Case(
            name="legacy records: the consented principal is a blueprint by its AgenticApp tag",
            fires=True,
            day="2026-06-10",
            rows={
                "audits": [
                    {
                        **_consent("k4", "False", "dan@contoso.com"),
                        "targets": [
                            {
                                **_consent("k4", "False", "dan@contoso.com")["targets"][0],
                                "agent_type": None,
                            }
                        ],
                    },
                    {
                        **_consent("k5", "False", "dan@contoso.com"),
                        "activity": "Update service principal",
                        "targets": [
                            {
                                "id": "sp-vendor-bp",
                                "type": "ServicePrincipal",
                                "modified_properties": [
                                    {"name": "Tags", "new_value": '["AgenticApp"]'}
                                ],
                            }
                        ],
                    },
                ]
            },
            check=lambda fs: len(fs) == 1 and fs[0].identity.kind == "agent_blueprint",
        ),
        Case(
            name="a user consents to an ordinary app (no agent type, no agent tag): not G07's",
            fires=False,
            day="2026-06-10",
            rows={
                "audits": [
                    {
                        **_consent("k6", "False", "erin@contoso.com"),
                        "targets": [
                            {
                                **_consent("k6", "False", "erin@contoso.com")["targets"][0],
                                "agent_type": None,
                            }
                        ],
                    }
                ]
            },
        ),
        Case(
            name="an admin consents to the same blueprint principal: quiet",
            fires=False,
            day="2026-06-10",
            rows={"audits": [_consent("k2", "True", "admin@contoso.com")]},
        ),
    ]

    def detect(self, ctx: DetectContext) -> list[Finding]:
        p = self.params(ctx)
        factor = float(p["history_factor"])
        rows = self.query(
            ctx,
            burst_hours=float(p["burst_hours"]),
            burst_count=int(p["burst_count"]),
            history_days=int(p["history_days"]),
            learning_days=int(p["learning_days"]),
            max_evidence=int(p["max_evidence"]),
        )
        bursts = [r for r in rows if r["n"] > factor * r["history_max"]]
        consents = self.query(ctx, CONSENT_SQL)
        known = self._known(ctx, [r["identity_id"] for r in bursts + consents])
        findings = [self._burst(ctx, _with_known(r, known, None), p, factor) for r in bursts]
        for r in consents:
            seen = "entra_agent_fields" if r["agent_fields"] else None
            findings.append(self._consent(ctx, _with_known(r, known, seen)))
        return findings

    def _known(self, ctx: DetectContext, ids: list[str]) -> dict[str, dict]:
        """The identities view's rows for the few identities found (none looked up when none)."""
        if not ids:
            return {}
        return {r["identity_id"]: r for r in self.query(ctx, WHO_SQL, ids=ids)}

    def _burst(self, ctx: DetectContext, r: dict, p: dict, factor: float) -> Finding:
        hours = float(p["burst_hours"])
        span = timedelta(hours=hours)
        usual = (
            f"at most {plural(r['history_max'], 'identity')} a day in the "
            f"{int(p['history_days'])} days before"
            if r["history_max"]
            else f"none in the {int(p['history_days'])} days before"
        )
        explanation = (
            f"Blueprint {label(r)} brought {plural(r['n'], 'new agent identity')} into being "
            f"within {span.total_seconds() / 3600:g} hour(s) ({r['n_today']} that day); it made "
            f"{usual}. A blueprint principal may create up to 250 agent identities as their "
            "manager, and that cannot be revoked."
        )
        severity = "high" if r["n"] >= int(p["high_count"]) else "medium"
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact(
                    "burst_identities",
                    f"agent identities created within {hours:g} hour(s)",
                    int(p["burst_count"]),
                    r["n"],
                ),
                fact(
                    "history_max_per_day",
                    "most agent identities this blueprint created in one day before",
                    r["history_max"],
                    r["n"],
                ),
            ],
            severity=severity,
            details={
                "burst_identities": r["n"],
                "created_that_day": r["n_today"],
                "history_max_per_day": r["history_max"],
                "history_factor": factor,
                "new_identities": ", ".join(r["identities"] or []),
            },
        )

    def _consent(self, ctx: DetectContext, r: dict) -> Finding:
        owner = f" (published by tenant {r['owner_tenant']})" if r["owner_tenant"] else ""
        explanation = (
            f"Agent blueprint principal {label(r)}{owner} entered the tenant through a user's "
            f"consent ({r['initiators'] or 'unknown user'}), not an admin's: it can now create "
            "up to 250 agent identities as their manager, and that cannot be revoked."
        )
        return self.make(
            ctx,
            r,
            explanation,
            [fact("admin_consent", "consent given by an administrator", True, False)],
            severity="high",
            details={"consented_by": r["initiators"], "owner_tenant": r["owner_tenant"]},
        )
