"""AA-P02: personal data inside request URIs (e-mail, phone, national id, card or IBAN numbers).

Personal data in a URI ends up in every proxy, gateway and log on the way: an agent that puts a
customer's card number or e-mail into ``$filter`` or ``$search`` leaks it, whatever it was
allowed to read. Object ids (GUIDs) and Graph's own ``/users/{upn}`` addressing are ignored;
card numbers must pass the Luhn check and IBANs the mod-97 check.
"""

from __future__ import annotations

import polars as pl

from detectors.finding import BaselineFact, Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import SqlRule, on_behalf_of, plural, who

KINDS = ("emails", "phones", "national_ids", "cards", "ibans")
LABELS = {
    "emails": "e-mail address",
    "phones": "phone number",
    "national_ids": "national id number",
    "cards": "payment card number",
    "ibans": "IBAN",
}
WEIGHT = {"emails": 0.5, "phones": 0.5, "national_ids": 0.9, "cards": 1.0, "ibans": 0.9}


def luhn_ok(text: str) -> bool:
    digits = [int(c) for c in text if c.isdigit()]
    if not 13 <= len(digits) <= 19 or len(set(digits)) < 2:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return total % 10 == 0


#: IBAN length per country (ISO 13616 registry, the countries that issue them)
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22,
    "VG": 24, "XK": 20,
}  # fmt: skip


def iban_ok(text: str) -> bool:
    value = text.replace(" ", "").upper()
    if IBAN_LENGTHS.get(value[:2]) != len(value) or not value[2:4].isdigit():
        return False
    moved = value[4:] + value[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _valid(kind: str, value: str) -> bool:
    if kind == "cards":
        return luhn_ok(value)
    if kind == "ibans":
        return iban_ok(value)
    if kind == "phones":
        return sum(c.isdigit() for c in value) >= 8
    return True


def _mask(value: str) -> str:
    """Keep enough to recognise the value, not enough to leak it again in our own findings."""
    if "@" in value:
        user, _, host = value.partition("@")
        return f"{user[:1]}***@{host}"
    return f"{value[:2]}***{value[-2:]}" if len(value) > 6 else "***"


class PiiInUri(SqlRule):
    id = "AA-P02"
    family = "pii_touch"
    severity = "medium"
    title = "Personal data inside request URIs"
    attacks = ("T1552", "T1530")
    runbook = (
        "Ask the agent's owner why the values are in the URL; move them into a request body or "
        "look them up by id, and purge the gateway and proxy logs that kept them."
    )
    defaults = {"min_events": 1}

    def detect(self, ctx: DetectContext) -> list[Finding]:
        rows = self.frame(ctx)
        if rows.is_empty():
            return []
        # validate each distinct candidate once (Luhn / mod 97), then keep events with a real hit
        checked = []
        for kind in KINDS:
            values = rows.select("event_id", pl.col(kind).alias("value")).explode("value")
            values = values.drop_nulls("value")
            distinct = values.get_column("value").unique().to_list()
            good = [v for v in distinct if _valid(kind, v)]
            checked.append(
                values.filter(pl.col("value").is_in(good)).with_columns(kind=pl.lit(kind))
            )
        hits = pl.concat(checked)
        if hits.is_empty():
            return []
        p = self.params(ctx)
        per_event = hits.group_by("event_id").agg(pl.col("kind").unique(), pl.col("value").unique())
        events = rows.drop(KINDS).join(per_event, on="event_id")
        out: list[Finding] = []
        for ident_rows in events.partition_by("identity_id"):
            if ident_rows.height < int(p["min_events"]):
                continue
            first = ident_rows.row(0, named=True)
            kinds = sorted({k for ks in ident_rows.get_column("kind") for k in ks})
            values = sorted({v for vs in ident_rows.get_column("value") for v in vs})
            what = ", ".join(LABELS[k] for k in kinds)
            sample = ", ".join(_mask(v) for v in values[:3])
            out.append(
                self.make(
                    ctx,
                    first,
                    on_behalf_of=on_behalf_of(first),
                    window_start=ident_rows.get_column("event_time").min(),
                    window_end=ident_rows.get_column("event_time").max(),
                    evidence=ident_rows.get_column("event_id").to_list(),
                    explanation=(
                        f"{who(first)} sent {plural(ident_rows.height, 'request')} with personal "
                        f"data in the URL ({what}; {plural(len(values), 'distinct value')}, "
                        f"e.g. {sample})."
                    ),
                    baseline=[
                        BaselineFact(
                            name="uris_with_pii",
                            description="requests whose URL carries personal data today",
                            value=0,
                            observed=ident_rows.height,
                        ),
                        BaselineFact(
                            name="pii_kinds", description="kinds of personal data", observed=what
                        ),
                    ],
                    rarity=0.8,
                    sensitivity=max(WEIGHT[k] for k in kinds),
                    reach=min(1.0, len(values) / 20),
                    details={"pii_kinds": ",".join(kinds), "distinct_values": len(values)},
                )
            )
        return out


_AGENT = {
    "actor_id": "agent-1",
    "actor_kind": "agent_identity",
    "actor_kind_source": "entra_agent_fields",
    "app_id": "app-agent-1",
    "operation": "GET",
    "status_code": 200,
}

CASES = [
    Case(
        name="card number and e-mail in a $filter",
        fires=True,
        day="2026-03-10",
        rows={
            "activity": [
                {
                    **_AGENT,
                    "event_id": "p02-1",
                    "event_time": "2026-03-10T10:00:00Z",
                    "request_uri": "https://graph.microsoft.com/v1.0/sites/s1/lists/l1/items"
                    "?$filter=fields/card%20eq%20'4111%201111%201111%201111'",
                },
                {
                    **_AGENT,
                    "event_id": "p02-2",
                    "event_time": "2026-03-10T10:05:00Z",
                    "request_uri": "https://graph.microsoft.com/v1.0/me/messages"
                    "?$search=%22jane.doe%40example.org%22",
                },
            ]
        },
        check=lambda fs: len(fs) == 1 and len(fs[0].evidence_event_ids) == 2,
    ),
    Case(
        name="GUIDs, UPN addressing and a digit run that fails Luhn are not PII",
        fires=False,
        day="2026-03-10",
        rows={
            "activity": [
                {
                    **_AGENT,
                    "event_id": "p02-3",
                    "event_time": "2026-03-10T10:00:00Z",
                    "request_uri": "https://graph.microsoft.com/v1.0/users/alice@contoso.com"
                    "/manager",
                },
                {
                    **_AGENT,
                    "event_id": "p02-4",
                    "event_time": "2026-03-10T10:01:00Z",
                    "request_uri": "https://graph.microsoft.com/v1.0/servicePrincipals/"
                    "00000003-0000-0000-c000-000000000000/appRoleAssignedTo?$top=1234567890123",
                },
            ]
        },
    ),
]
