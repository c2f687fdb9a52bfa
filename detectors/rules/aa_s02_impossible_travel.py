"""AA-S02: impossible travel between consecutive successful sign-ins."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import SqlRule, fact, label, plural

PLACES = {
    "Dublin": ("IE", 53.35, -6.26, "198.51.100.10"),
    "Cork": ("IE", 51.90, -8.47, "198.51.100.20"),
    "Sydney": ("AU", -33.87, 151.21, "203.0.113.30"),
    "Singapore": ("SG", 1.35, 103.82, "203.0.113.40"),
}


def _signin(event_id: str, time: str, city: str) -> dict:
    country, lat, lon, ip = PLACES[city]
    return {
        "event_id": event_id,
        "event_time": time,
        "log_type": "interactive",
        "user_id": "user-ann",
        "user_principal_name": "ann@contoso.com",
        "ip_address": ip,
        "country": country,
        "city": city,
        "latitude": lat,
        "longitude": lon,
        "succeeded": True,
    }


class ImpossibleTravel(SqlRule):
    id = "AA-S02"
    family = "signin_anomaly"
    severity = "high"
    title = "Impossible travel between consecutive sign-ins"
    attacks = ("T1078",)
    runbook = (
        "Find out which sign-in was really the identity's; revoke its sessions and credentials, "
        "then review what was done from the other place."
    )
    defaults: ClassVar[dict] = {"min_km": 500.0, "max_kmh": 1000.0, "max_evidence": 100}

    cases: ClassVar[list[Case]] = [
        Case(
            name="Dublin then Sydney forty minutes later",
            fires=True,
            day="2026-03-10",
            rows={
                "signins": [
                    _signin("t1", "2026-03-10T09:00:00Z", "Dublin"),
                    _signin("t2", "2026-03-10T09:40:00Z", "Sydney"),
                ]
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].evidence_event_ids == ("t1", "t2")
                and "Sydney" in fs[0].explanation
            ),
        ),
        Case(
            name="Dublin then Cork two hours later, and Sydney after a day's flight",
            fires=False,
            day="2026-03-10",
            rows={
                "signins": [
                    _signin("t1", "2026-03-09T07:00:00Z", "Dublin"),
                    _signin("t2", "2026-03-09T09:00:00Z", "Cork"),
                    _signin("t3", "2026-03-10T11:00:00Z", "Sydney"),
                    _signin("t4", "2026-03-10T23:30:00Z", "Singapore"),
                ]
            },
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        return {
            "prev_start": ctx.day_start - timedelta(days=1),
            "prev_day": ctx.day - timedelta(days=1),
            "min_km": float(p["min_km"]),
            "max_kmh": float(p["max_kmh"]),
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, r: dict, q: dict) -> Finding:
        explanation = (
            f"{label(r)} signed in from {r['route']} {r['max_km']:,.0f} km apart in "
            f"{r['minutes']:,.0f} minutes ({r['max_kmh']:,.0f} km/h; "
            f"{plural(r['n_pairs'], 'impossible pair')} today)."
        )
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact(
                    "max_speed_kmh",
                    "fastest plausible travel",
                    float(q["max_kmh"]),
                    round(r["max_kmh"]),
                ),
                fact(
                    "distance_km",
                    "distance between the sign-ins",
                    float(q["min_km"]),
                    round(r["max_km"]),
                ),
            ],
            rarity=min(1.0, r["max_kmh"] / (10 * float(q["max_kmh"]))) + 0.5,
            reach=min(1.0, r["n_pairs"] / 5),
            details={"route": r["route"], "km": round(r["max_km"])},
        )
