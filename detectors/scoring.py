"""Severity and score of a finding: the one place that says how they are decided.

Every rule declares a default severity (its metadata). A finding's score (0-100) starts at that
severity's anchor and moves by at most +/-20 points with three components, each 0 to 1:

* **rarity** (weight 0.5): how unusual the behaviour is. 1 = never seen for this identity, its
  peers or the tenant (or a volume far above any day of its baseline); 0 = routine.
* **sensitivity** (weight 0.3): what was touched, from the sensitivity catalogue tag:
  secrets / credentials 1.0, health 0.9, pii / hr / financial 0.85, mail 0.8, directory 0.6,
  files 0.5, any other tag 0.6, nothing sensitive 0.2.
* **reach** (weight 0.2): how much the identity reached: distinct resources or targets, volume
  against its limit, privileged scope. 1 = tenant-wide.

``raw = 0.5 * rarity + 0.3 * sensitivity + 0.2 * reach`` (a missing component counts as 0.5 for
rarity, 0.3 for the others) and ``score = anchor + (raw - 0.5) * 40``, clamped to 0-100. The
severity is the score's band: critical >= 88, high >= 68, medium >= 45, low >= 22, else info.
Anchors: info 10, low 30, medium 55, high 75, critical 92, so a rule's findings stay within about
one severity step of what the rule declares, and two findings of one rule order by risk.
A finding without any component keeps its rule's severity and anchor score. A rule may lower
its declared severity for one finding (``base_severity``, kept in the finding's details): a
violation that recurs every day of the identity's baseline is already known and scored from the
"low" anchor, as is one judged before the identity (or the tenant) has any baseline.
"""

from __future__ import annotations

from detectors.finding import SEVERITIES, Finding

ANCHORS: dict[str, float] = {"info": 10, "low": 30, "medium": 55, "high": 75, "critical": 92}
BANDS: tuple[tuple[float, str], ...] = (
    (88, "critical"),
    (68, "high"),
    (45, "medium"),
    (22, "low"),
    (0, "info"),
)
WEIGHTS = {"rarity": 0.5, "sensitivity": 0.3, "reach": 0.2}
DEFAULTS = {"rarity": 0.5, "sensitivity": 0.3, "reach": 0.3}
SPREAD = 40.0

SENSITIVITY_WEIGHTS: dict[str, float] = {
    "secrets": 1.0,
    "credentials": 1.0,
    "health": 0.9,
    "pii": 0.85,
    "hr": 0.85,
    "financial": 0.85,
    "mail": 0.8,
    "directory": 0.6,
    "files": 0.5,
}
OTHER_TAG = 0.6
NOT_SENSITIVE = 0.2


def sensitivity_weight(tag: str | float | None) -> float:
    """0-1 weight of a catalogue tag (or a comma-separated list of tags: the highest wins)."""
    if tag is None or tag == "":
        return NOT_SENSITIVE
    if isinstance(tag, int | float):
        return _clip(float(tag))
    parts = [p.strip().lower() for p in str(tag).split(",") if p.strip()]
    if not parts:
        return NOT_SENSITIVE
    return max(SENSITIVITY_WEIGHTS.get(p, OTHER_TAG) for p in parts)


def band(score: float) -> str:
    for floor, severity in BANDS:
        if score >= floor:
            return severity
    return "info"


def score_finding(
    base_severity: str,
    *,
    rarity: float | None = None,
    sensitivity: float | str | None = None,
    reach: float | None = None,
) -> tuple[float, str, dict[str, float]]:
    """(score, severity, components used) for a finding of a rule declaring ``base_severity``."""
    if base_severity not in SEVERITIES:
        raise ValueError(f"unknown severity {base_severity!r}")
    anchor = ANCHORS[base_severity]
    if rarity is None and sensitivity is None and reach is None:
        return anchor, base_severity, {}
    comps = {
        "rarity": DEFAULTS["rarity"] if rarity is None else _clip(float(rarity)),
        "sensitivity": (
            DEFAULTS["sensitivity"] if sensitivity is None else sensitivity_weight(sensitivity)
        ),
        "reach": DEFAULTS["reach"] if reach is None else _clip(float(reach)),
    }
    raw = sum(WEIGHTS[k] * v for k, v in comps.items())
    score = round(min(100.0, max(0.0, anchor + (raw - 0.5) * SPREAD)), 1)
    return score, band(score), {f"score_{k}": round(v, 3) for k, v in comps.items()}


def rescore(base_severity: str, details: dict) -> tuple[float, str]:
    """Score again from the components a finding carries in its details (or the rule anchor)."""
    keys = ("rarity", "sensitivity", "reach")
    comps = {k: details.get(f"score_{k}") for k in keys}
    score, severity, _ = score_finding(base_severity, **comps)
    return score, severity


def ratio_rarity(observed: float, typical: float) -> float:
    """Rarity of a volume: 0 at the typical value, 1 at 10x (log scale) or when typical is 0."""
    import math

    if observed <= 0:
        return 0.0
    if typical <= 0:
        return 1.0
    return _clip(math.log10(max(observed / typical, 1.0)))


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


# --- Identity Protection's word on the identity -----------------------------------------------

#: points a finding gains when Identity Protection flagged its identity the same day, by the
#: highest risk level it gave (a risk at an undisclosed level, "hidden", counts as low)
RISK_POINTS: dict[str, float] = {"high": 15.0, "medium": 10.0, "low": 5.0}
RISK_KIND_WORDS: dict[str, str] = {
    "agent_risk": "agent risk",
    "service_principal_risk": "service principal risk",
    "user_risk_event": "user risk detection",
    "risky_user": "risky user",
    "risky_signin": "risky sign-in",
}
RISK_NAMED = 3  # signals named in an explanation; the rest are counted


def risk_boost(finding: Finding, signals: list[dict]) -> Finding:
    """``finding`` raised by Identity Protection's ``signals`` on its identity that day (each a
    dict with event_id, risk_kind, keys, risk_event_types, risk_level): its score gains
    RISK_POINTS of the highest level, its severity follows the score (never falls), the
    explanation names the signals and the signals' events join the evidence."""
    ident = {finding.identity.id.lower()}
    if finding.identity.app_id:
        ident.add(finding.identity.app_id.lower())
    mine = [s for s in signals if ident & {str(k) for k in (s.get("keys") or [])}]
    if not mine:
        return finding
    points = max(RISK_POINTS.get(str(s.get("risk_level") or ""), 5.0) for s in mine)
    score = round(min(100.0, finding.score + points), 1)
    severity = band(score)
    if SEVERITIES.index(severity) < SEVERITIES.index(finding.severity):
        severity = finding.severity
    said = []
    for s in mine[:RISK_NAMED]:
        kind = RISK_KIND_WORDS.get(str(s.get("risk_kind")), str(s.get("risk_kind")))
        types = ", ".join(s.get("risk_event_types") or [])
        level = s.get("risk_level") or "level not given"
        said.append(f"{kind}{' ' + types if types else ''} ({level})")
    if len(mine) > RISK_NAMED:
        said.append(f"{len(mine) - RISK_NAMED} more")
    note = f" Identity Protection flagged this identity the same day: {'; '.join(said)}."
    from detectors.rule import MAX_EVIDENCE

    ids = finding.evidence_event_ids + tuple(str(s["event_id"]) for s in mine)
    evidence = tuple(dict.fromkeys(ids))[:MAX_EVIDENCE]
    return finding.model_copy(
        update={
            "score": score,
            "severity": severity,
            "explanation": finding.explanation + note,
            "evidence_event_ids": evidence,
            "details": {
                **finding.details,
                "risk_boost": points,
                "risk_signals": ", ".join(str(s["event_id"]) for s in mine),
            },
        }
    )
