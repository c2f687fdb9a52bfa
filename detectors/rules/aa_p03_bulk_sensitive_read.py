"""AA-P03: bulk read of sensitive resources (requests or bytes) far above the baseline.

"12,400 reads of user profiles today, 95th percentile of its days is 40": the shape of data
collection before exfiltration (MITRE T1530 / T1114). Behavioural: it needs the identity's own
history, so identities still learning are held back (the engine and ``min_history_days``).
"""

from __future__ import annotations

from detectors.finding import BaselineFact, Finding
from detectors.rule import Case, DetectContext
from detectors.scoring import ratio_rarity
from detectors.sql_rule import SqlRule, on_behalf_of, plural, who

TAG_WORDS = {
    "pii": "personal data",
    "hr": "HR data",
    "financial": "financial data",
    "mail": "mail and chats",
    "files": "files",
    "directory": "directory objects",
    "secrets": "secrets",
    "credentials": "credentials",
    "audit": "audit logs",
    "health": "health data",
}


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


class BulkSensitiveRead(SqlRule):
    id = "AA-P03"
    family = "pii_touch"
    severity = "high"
    title = "Bulk read of sensitive data far above baseline"
    attacks = ("T1530", "T1114.002", "T1213")
    runbook = (
        "List what was read (evidence events), confirm with the sponsor whether a bulk job was "
        "planned; if not, revoke the identity's tokens and check where the data went."
    )
    behavioural = True
    defaults = {
        "min_requests": 100,
        "min_bytes": 50_000_000,
        "factor": 5.0,
        "min_history_days": 5,
    }

    def detect(self, ctx: DetectContext) -> list[Finding]:
        p = self.params(ctx)
        rows = self.frame(ctx, min_requests=int(p["min_requests"]), min_bytes=int(p["min_bytes"]))
        factor = float(p["factor"])
        out: list[Finding] = []
        for row in rows.iter_rows(named=True):
            if row["history_days"] < int(p["min_history_days"]):
                continue
            typical_n = max(row["p95_requests"], 1.0)
            typical_b = max(row["p95_bytes"], 1.0)
            by_requests = (
                row["requests"] >= int(p["min_requests"]) and row["requests"] >= factor * typical_n
            )
            by_bytes = row["bytes"] >= int(p["min_bytes"]) and row["bytes"] >= factor * typical_b
            if not (by_requests or by_bytes):
                continue
            what = TAG_WORDS.get(row["top_tag"], row["top_tag"])
            if by_requests:
                said = (
                    f"{plural(row['requests'], 'read')} of {what} on {ctx.day}, 95th percentile "
                    f"of its last {plural(row['history_days'], 'active day')} is "
                    f"{row['p95_requests']:,.0f}"
                )
            else:
                said = (
                    f"{_mb(row['bytes'])} of {what} read on {ctx.day}, 95th percentile of its last "
                    f"{plural(row['history_days'], 'active day')} is {_mb(row['p95_bytes'])}"
                )
            ratio = max(row["requests"] / typical_n, row["bytes"] / typical_b)
            out.append(
                self.make(
                    ctx,
                    row,
                    on_behalf_of=on_behalf_of(row),
                    window_start=row["window_start"],
                    window_end=row["window_end"],
                    evidence=row["evidence"],
                    explanation=f"{who(row)} made {said}.",
                    baseline=[
                        BaselineFact(
                            name="sensitive_requests_p95",
                            description="sensitive reads a day, 95th percentile",
                            value=round(row["p95_requests"], 1),
                            observed=row["requests"],
                        ),
                        BaselineFact(
                            name="sensitive_bytes_p95",
                            description="bytes of sensitive reads a day, 95th percentile",
                            value=round(row["p95_bytes"], 1),
                            observed=row["bytes"],
                        ),
                        BaselineFact(
                            name="sensitive_tags", description="what was read", observed=row["tags"]
                        ),
                    ],
                    rarity=ratio_rarity(ratio, 1.0),
                    sensitivity=row["tags"],
                    reach=min(1.0, row["requests"] / 10_000),
                    details={
                        "requests": row["requests"],
                        "bytes": row["bytes"],
                        "tags": row["tags"],
                    },
                )
            )
        return out


def _reads(day: str, n: int, prefix: str) -> list[dict]:
    return [
        {
            "event_id": f"{prefix}-{day}-{i}",
            "event_time": f"{day}T{9 + i // 3600:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z",
            "actor_id": "sp-hr",
            "service_principal_id": "sp-hr",
            "app_id": "app-hr",
            "actor_kind": "service_principal",
            "token_type": "app",
            "operation": "GET",
            "request_uri": f"https://graph.microsoft.com/v1.0/users/u{i}/manager",
            "resource_path": "/users/{id}/manager",
            "status_code": 200,
            "response_size_bytes": 2000,
        }
        for i in range(n)
    ]


_DAYS = [f"2026-03-0{d}" for d in range(1, 10)]

CASES = [
    Case(
        name="an HR sync that reads 20 managers a day reads 600",
        fires=True,
        day="2026-03-10",
        rows={
            "activity": [r for d in _DAYS for r in _reads(d, 20, "p03")]
            + _reads("2026-03-10", 600, "p03")
        },
        check=lambda fs: fs[0].details.get("requests") == 600,
    ),
    Case(
        name="the same sync reading its usual 120 a day",
        fires=False,
        day="2026-03-10",
        rows={"activity": [r for d in [*_DAYS, "2026-03-10"] for r in _reads(d, 120, "p03n")]},
    ),
]
