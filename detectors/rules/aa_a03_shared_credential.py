"""AA-A03: one credential or app shared by several identities, hosts or networks at once."""

from __future__ import annotations

from typing import ClassVar

from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import HUMAN_KINDS, SqlRule, agent_keys, agent_registry, fact, label, plural

TOML = """
[[agents]]
id = "agent-a"
name = "Agent A"
sponsor = "a@contoso.com"

[[agents]]
id = "agent-b"
name = "Agent B"
sponsor = "b@contoso.com"
"""


def _signin(event_id: str, sp: str, key: str, ip: str, asn: int, minute: int) -> dict:
    return {
        "event_id": event_id,
        "event_time": f"2026-03-10T10:{minute:02d}:00Z",
        "log_type": "service_principal",
        "service_principal_id": sp,
        "app_id": f"app-{sp}",
        "agent_type": "agenticAppInstance",
        "credential_key_id": key,
        "ip_address": ip,
        "autonomous_system_number": asn,
        "user_agent": "azsdk-python/1.0",
        "succeeded": True,
    }


class SharedCredential(SqlRule):
    id = "AA-A03"
    family = "attribution_gap"
    severity = "high"
    title = "Credential or app shared between identities, hosts or networks"
    attacks = ("T1078.004", "T1552")
    runbook = (
        "Find every host that holds the credential; give each agent its own identity and "
        "credential, rotate the shared one and review what each holder did with it."
    )
    #: concurrent use: min_networks networks in an hour, of min_owners distinct owners (ASNs) or
    #: seen with min_clients user agents
    defaults: ClassVar[dict] = {
        "min_networks": 3,
        "min_owners": 2,
        "min_clients": 2,
        "max_evidence": 200,
    }

    cases: ClassVar[list[Case]] = [
        Case(
            name="two registered agents sign in with the same client secret",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={
                "signins": [
                    _signin("s1", "agent-a", "key-1", "10.1.0.1", 8075, 1),
                    _signin("s2", "agent-a", "key-1", "10.1.0.1", 8075, 2),
                    _signin("s3", "agent-b", "key-1", "10.2.0.1", 8075, 3),
                ]
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.id == "agent-a"
                and "agent-b" in fs[0].explanation
                and set(fs[0].evidence_event_ids) == {"s1", "s2", "s3"}
            ),
        ),
        Case(
            name="one agent's credential used from four networks within the hour",
            fires=True,
            day="2026-03-10",
            rows={
                "signins": [
                    _signin("n1", "agent-c", "key-c", "10.1.0.1", 8075, 1),
                    _signin("n2", "agent-c", "key-c", "172.16.0.1", 64501, 5),
                    _signin("n3", "agent-c", "key-c", "192.0.2.1", 64502, 9),
                    _signin("n4", "agent-c", "key-c", "198.51.100.1", 64503, 12),
                ]
            },
            check=lambda fs: len(fs) == 1 and fs[0].identity.id == "agent-c",
        ),
        Case(
            name="three networks without an ASN but three different clients within the hour",
            fires=True,
            day="2026-03-10",
            rows={
                "activity": [
                    {
                        "event_id": f"c{i}",
                        "event_time": f"2026-03-10T10:{i:02d}:00Z",
                        "source_log": "graph",
                        "service_principal_id": "agent-d",
                        "app_id": "app-agent-d",
                        "token_type": "app",
                        "ip_address": ip,
                        "user_agent": ua,
                        "status_code": 200,
                    }
                    for i, (ip, ua) in enumerate(
                        [
                            ("10.1.0.1", "azsdk-python/1.0"),
                            ("172.16.0.1", "curl/8.4"),
                            ("192.0.2.1", "python-requests/2.31"),
                        ]
                    )
                ]
            },
            check=lambda fs: len(fs) == 1 and fs[0].identity.id == "agent-d",
        ),
        Case(
            name="an agent in Azure reaches Graph from four Azure addresses with one client",
            fires=False,
            day="2026-03-10",
            rows={
                "signins": [
                    _signin("z1", "agent-z", "key-z", "20.42.0.7", 8075, 1),
                    _signin("z2", "agent-z", "key-z", "40.74.1.9", 8075, 5),
                    _signin("z3", "agent-z", "key-z", "52.96.3.3", 8075, 9),
                    _signin("z4", "agent-z", "key-z", "13.64.8.1", 8075, 12),
                ],
                # its Graph calls carry no ASN: the sign-ins of the day tell the owner
                "activity": [
                    {
                        "event_id": f"zg{i}",
                        "event_time": f"2026-03-10T10:{20 + i:02d}:00Z",
                        "source_log": "graph",
                        "service_principal_id": "agent-z",
                        "app_id": "app-agent-z",
                        "token_type": "app",
                        "ip_address": ip,
                        "user_agent": "azsdk-python/1.0",
                        "status_code": 200,
                    }
                    for i, ip in enumerate(["20.42.0.7", "40.74.1.9", "52.96.3.3"])
                ]
                # another agent seen only in Graph logs: four /16s, no owner known, one client
                + [
                    {
                        "event_id": f"yg{i}",
                        "event_time": f"2026-03-10T11:{i:02d}:00Z",
                        "source_log": "graph",
                        "service_principal_id": "agent-y",
                        "app_id": "app-agent-y",
                        "token_type": "app",
                        "ip_address": ip,
                        "user_agent": "azsdk-python/1.0",
                        "status_code": 200,
                    }
                    for i, ip in enumerate(["20.42.0.8", "40.74.1.8", "52.96.3.8", "13.64.8.8"])
                ],
            },
        ),
        Case(
            name="each agent with its own credential, from its own network",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={
                "signins": [
                    _signin("s1", "agent-a", "key-a", "10.1.0.1", 8075, 1),
                    _signin("s2", "agent-a", "key-a", "10.1.0.2", 8075, 20),
                    _signin("s3", "agent-b", "key-b", "10.1.0.3", 8075, 30),
                ]
            },
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        return {
            "registered": [k for a in agent_registry(ctx) for k in agent_keys(a)],
            "human_kinds": HUMAN_KINDS,
            "min_networks": int(p["min_networks"]),
            "min_owners": int(p["min_owners"]),
            "min_clients": int(p["min_clients"]),
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, r: dict, q: dict) -> Finding:
        explanation = (
            f"{label(r)} looks shared: {r['what']} ({plural(r['n_events'], 'event')}, "
            f"{plural(r['n_ips'], 'IP address')} and "
            f"{plural(r['n_user_agents'], 'user agent')} today)."
        )
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact(
                    "parties",
                    "identities or networks using one credential at once",
                    1,
                    r["n_parties"],
                ),
                fact("ips_today", "distinct IP addresses today", None, r["n_ips"]),
            ],
            rarity=0.8,
            reach=min(1.0, (r["n_parties"] or 1) / 5),
            details={"shapes": r["shapes"], "what": r["what"]},
        )
