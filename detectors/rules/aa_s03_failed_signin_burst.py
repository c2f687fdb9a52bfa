"""AA-S03: a burst of failed sign-ins against one identity, or spread over many (spray)."""

from __future__ import annotations

from typing import ClassVar

from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import SqlRule, fact, label, plural


def _signin(event_id: str, minute: int, user: str, ip: str, ok: bool) -> dict:
    return {
        "event_id": event_id,
        "event_time": f"2026-03-10T10:{minute:02d}:00Z",
        "log_type": "interactive",
        "user_id": user,
        "user_principal_name": f"{user}@contoso.com",
        "ip_address": ip,
        "succeeded": ok,
        "error_code": 0 if ok else 50126,
    }


class FailedSigninBurst(SqlRule):
    id = "AA-S03"
    family = "signin_anomaly"
    severity = "medium"
    title = "Burst of failed sign-ins (brute force or password spray)"
    attacks = ("T1110.001", "T1110.003")
    runbook = (
        "Block the source addresses, check whether any targeted identity then signed in "
        "successfully, and reset credentials of those that did."
    )
    defaults: ClassVar[dict] = {
        "min_failures": 10,
        "min_targets": 5,
        "baseline_factor": 3.0,
        "max_evidence": 200,
    }

    cases: ClassVar[list[Case]] = [
        Case(
            name="twelve failures in a minute each, then a success: brute force that worked",
            fires=True,
            day="2026-03-10",
            rows={
                "signins": [
                    *[_signin(f"f{i}", i, "bob", "203.0.113.66", False) for i in range(12)],
                    _signin("ok", 30, "bob", "203.0.113.66", True),
                ]
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.id == "bob"
                and fs[0].severity == "high"
                and fs[0].evidence_event_ids[0] == "ok"
            ),
        ),
        Case(
            name="one address fails against six people: spray",
            fires=True,
            day="2026-03-10",
            rows={"signins": [_signin(f"p{i}", i, f"u{i}", "192.0.2.9", False) for i in range(6)]},
            check=lambda fs: len(fs) == 1 and fs[0].identity.id == "192.0.2.9",
        ),
        Case(
            name="a few typos spread over the day",
            fires=False,
            day="2026-03-10",
            rows={
                "signins": [
                    _signin("f1", 1, "bob", "198.51.100.1", False),
                    _signin("f2", 2, "bob", "198.51.100.1", False),
                    _signin("f3", 3, "carol", "198.51.100.2", False),
                    _signin("ok", 4, "bob", "198.51.100.1", True),
                ]
            },
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        return {
            "min_failures": int(p["min_failures"]),
            "min_targets": int(p["min_targets"]),
            "baseline_factor": float(p["baseline_factor"]),
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, r: dict, q: dict) -> Finding:
        success = (
            f"; {plural(r['n_success_after'], 'successful sign-in')} followed"
            + (f" ({r['compromised']})" if r["shape"] == "spray" else "")
            if r["n_success_after"]
            else ""
        )
        if r["shape"] == "burst":
            explanation = (
                f"{label(r)} had {plural(r['n_failures'], 'failed sign-in')} today, up to "
                f"{r['max_in_hour']} within one hour, from {r['sources']} (at most "
                f"{r['baseline_daily_max']} a day before){success}."
            )
            baseline = [
                fact(
                    "failed_per_day_max",
                    "most failed sign-ins on one day before",
                    r["baseline_daily_max"],
                    r["n_failures"],
                ),
                fact(
                    "failed_in_one_hour",
                    "failures within one hour",
                    q["min_failures"],
                    r["max_in_hour"],
                ),
            ]
        else:
            explanation = (
                f"Address {r['identity_id']} failed to sign in as "
                f"{plural(r['n_targets'], 'identity')} "
                f"({r['targets']}) with {plural(r['n_failures'], 'attempt')}: a password "
                f"spray{success}."
            )
            baseline = [
                fact(
                    "targets",
                    "distinct identities failing from one address",
                    q["min_targets"],
                    r["n_targets"],
                ),
            ]
        severity = "high" if r["n_success_after"] else self.severity
        return self.make(
            ctx,
            r,
            explanation,
            baseline,
            severity=severity,
            details={
                "shape": r["shape"],
                "failures": r["n_failures"],
                "targets": r["targets"] or r["identity_id"],
                "succeeded_after": r["n_success_after"],
            },
        )
