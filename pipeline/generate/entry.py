"""One entry of the story table: a planted incident, a benign look-alike, or the routine history
they stand out from; and the context its build function writes through.

An incident's entry names the rules that should find it (and related rules that may also fire
without being wrong); a look-alike's names the rules that must not fire on it. ``build`` adds
the entry's rows to the plan and, through :meth:`Context.label` or :meth:`Context.benign`, its
ground truth, so the rule ids of labels.json and of ``evaluate`` come from the table alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.generate.cast import Actor, Tenant
from pipeline.generate.plan import Plan, Watch
from pipeline.generate.traffic import US

INCIDENT, BENIGN, HISTORY = "incident", "benign", "history"

FAMILY = {
    **dict.fromkeys(["AA-R01", "AA-R02", "AA-R03", "AA-R04"], "unexpected_resource_access"),
    **dict.fromkeys(["AA-P01", "AA-P02", "AA-P03"], "pii_touch"),
    **dict.fromkeys(["AA-A01", "AA-A02", "AA-A03", "AA-A04", "AA-A05"], "attribution_gap"),
    **dict.fromkeys(
        ["AA-G01", "AA-G02", "AA-G03", "AA-G04", "AA-G05", "AA-G06", "AA-G07"],
        "credential_or_privilege_change",
    ),
    **dict.fromkeys(["AA-S01", "AA-S02", "AA-S03", "AA-S04", "AA-S05"], "signin_anomaly"),
    "AA-M01": "behaviour_anomaly",
}


@dataclass(frozen=True)
class Entry:
    """``id``: the label id (INC-…, BEN-…) or, for history, a name. ``rules``: an incident's
    expected rules, a look-alike's must-not-fire rules. ``stream``: the random stream it draws
    from: a shared one named in ``story.table.SHARED_STREAMS`` (whose draws depend on the order
    of the entries sharing it), or, when empty, a stream of its own seeded by its id, so that a
    new entry changes nothing else a seed makes."""

    id: str
    kind: str
    build: Callable[[Context], None]
    rules: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    stream: str = ""

    @property
    def family(self) -> str:
        return FAMILY[self.rules[0]] if self.kind == INCIDENT else ""


@dataclass
class Context:
    tenant: Tenant
    plan: Plan
    rng: np.random.Generator
    entry: Entry

    @property
    def last(self) -> int:
        return self.plan.last

    def label(
        self,
        culprit: list[str],
        s: pl.DataFrame | None,
        g: pl.DataFrame | None,
        description: str,
        *,
        extra_evidence: list[str] | None = None,
        window: tuple[int, int] | None = None,
        **extra,
    ) -> dict:
        """The entry's incident label: sign-ins ``s`` and Graph calls ``g`` join the plan and
        are its evidence (with ``extra_evidence``); the window defaults to their time span."""
        plan, e = self.plan, self.entry
        times, evidence = [], []
        for f in (s, g):
            if f is not None and not f.is_empty():
                times.append(f["time"].cast(pl.Int64).to_numpy())
                evidence.extend(f["id" if "category" in f.columns else "request_id"].to_list())
                (plan.signins if "category" in f.columns else plan.graph).append(f)
        evidence.extend(extra_evidence or [])
        if window is None:
            allt = np.concatenate(times)
            window = (int(allt.min()), int(allt.max()))
        label = {
            "id": e.id,
            "family": e.family,
            "rule_ids": list(e.rules),
            "related_rule_ids": list(e.related),
            "culprit_ids": culprit,
            "window_start": plan.iso(window[0]),
            "window_end": plan.iso(window[1] + US - 1),
            "evidence_event_ids": evidence,
            "description": description,
            **extra,
        }
        plan.incidents.append(label)
        return label

    def benign(self, identity_ids: list[str], start_us: int, end_us: int, description: str) -> None:
        """The entry's look-alike label: ``identity_ids`` between the two times (inclusive)."""
        self.plan.benign.append(
            {
                "id": self.entry.id,
                "description": description,
                "identity_ids": identity_ids,
                "window_start": self.plan.iso(start_us),
                "window_end": self.plan.iso(end_us),
                "must_not_fire": list(self.entry.rules),
            }
        )

    def watch(self, column: str, value: str, first_day: int, last_day: int) -> None:
        """Ordinary sign-ins whose ``column`` is ``value`` over those days are evidence too."""
        self.plan.watches.append(Watch(self.entry.id, column, value, first_day, last_day))


def actor_ids(actor: Actor) -> list[str]:
    """Every id naming a non-human identity: object id, app id, UPN (agent users)."""
    return [x for x in (actor.object_id, actor.app_id, actor.upn) if x]


def person_ids(p: dict) -> list[str]:
    return [p["id"], p["upn"]]
