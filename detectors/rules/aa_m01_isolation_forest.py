"""AA-M01: behaviour anomaly: an isolation forest over per-identity-day features.

Each identity's day (volume, distinct resources, paths, IPs, countries, user agents, active hours,
failure rate, bytes, sensitive share; the ``identity_day`` rollup) is turned into deviations from
that identity's own previous days, and one ``IsolationForest`` per identity-kind group (agents,
humans, service principals) fitted on the look-back window scores the judged day (see
detectors/forest.py). A day fires when its score is high *and* at least one feature rose far and
materially above its normal (MATERIAL); the explanation names the features that deviate most.
Behavioural: identities with too little history are held back.
"""

from __future__ import annotations

import polars as pl

from detectors.finding import BaselineFact, Finding
from detectors.forest import DESCRIPTIONS, FEATURES, IdentityDayForest, deviations, kind_group
from detectors.rule import Case, DetectContext
from detectors.sql_rule import SqlRule, who

EVIDENCE_SQL = "aa_m01_isolation_forest_evidence"
#: the smallest rise above the identity's typical day that counts as material, per feature
MATERIAL: dict[str, float] = {
    "events": 50,
    "distinct_resources": 3,
    "distinct_paths": 5,
    "distinct_ips": 5,
    "distinct_countries": 2,
    "distinct_user_agents": 3,
    "active_hours": 6,
    "failure_rate": 0.3,
    "bytes": 5_000_000,
    "sensitive_share": 0.3,
}


def _fmt(feature: str, value: float) -> str:
    if feature in ("failure_rate", "sensitive_share"):
        return f"{value:.0%}"
    if feature == "bytes":
        return f"{value / 1e6:,.1f} MB"
    return f"{value:,.0f}"


def anomaly_scores(rule: SqlRule, ctx: DetectContext, params: dict) -> pl.DataFrame:
    """The judged day's identity rows with ``score`` (higher = more anomalous) and deviations;
    empty when there is too little history to fit on."""
    frame = rule.frame(ctx)
    if frame.is_empty():
        return frame
    frame = frame.with_columns(
        group=pl.col("identity_kind").map_elements(kind_group, return_dtype=pl.String)
    )
    history = frame.filter(pl.col("day") < ctx.day)
    today = frame.filter(pl.col("day") == ctx.day)
    if history.is_empty() or today.is_empty():
        return today.clear()
    min_days = int(params["min_history_days"])
    train = deviations(history, history).filter(pl.col("baseline_days") >= min_days)
    scored = deviations(history, today).filter(pl.col("baseline_days") >= min_days)
    if train.height < int(params["min_train_rows"]) or scored.is_empty():
        return scored.clear()
    # Fitted on the baseline days *and* the judged day, as isolation forests are meant to be
    # used (an outlier must be in the sample to be isolated early; a forest fitted only on
    # quiet days puts every far-out point in the same leaf as the quietest extreme).
    forest = IdentityDayForest(
        n_estimators=int(params["n_estimators"]), random_state=int(params["random_state"])
    ).fit(pl.concat([train, scored], how="diagonal_relaxed"))
    # the score a normal day reaches: from a sample of the baseline days (scoring all of them
    # costs as much as the fit on a large tenant)
    sample = train.sample(min(train.height, int(params["cut_sample"])), seed=0)
    train_scores = forest.score_samples(sample)
    cut = float(pl.Series(train_scores).quantile(float(params["train_quantile"])) or 0.0)
    scores = forest.score_samples(scored)
    top = forest.explain(scored, top=3)
    return scored.with_columns(
        score=pl.Series(scores),
        train_cut=pl.lit(cut),
        top_features=pl.Series([[f for f, _ in t] for t in top], dtype=pl.List(pl.String)),
        top_devs=pl.Series([[d for _, d in t] for t in top], dtype=pl.List(pl.Float64)),
    )


class BehaviourAnomaly(SqlRule):
    id = "AA-M01"
    family = "behaviour_anomaly"
    severity = "medium"
    title = "Unusual day for this identity (isolation forest)"
    attacks = ("T1078",)
    runbook = (
        "Look at the deviating features first (the explanation names them), then at the day's "
        "events; confirm with the owner whether the change was planned."
    )
    behavioural = True
    defaults = {
        "min_history_days": 7,
        "min_train_rows": 30,
        "n_estimators": 100,
        "cut_sample": 5000,  # baseline days scored to place the train_quantile
        "random_state": 0,
        "min_score": 0.62,  # isolation forest score (0.5 is unremarkable)
        "train_quantile": 0.995,  # ... and above this quantile of the training days' scores
        "min_deviation": 4.0,  # ... and one feature at least this many robust spreads above,
        "min_events_for_rates": 50,  # ... by a material amount (MATERIAL)
    }

    def detect(self, ctx: DetectContext) -> list[Finding]:
        p = self.params(ctx)
        scored = anomaly_scores(self, ctx, p)
        if scored.is_empty():
            return []
        # a day fires for what rose far above the identity's normal, by a material amount: a
        # quiet day (a holiday, the last partial day of an export) or 3 calls instead of 1 is
        # unusual but not a threat; a rate needs enough events to mean something
        min_dev = float(p["min_deviation"])
        material = []
        for f in FEATURES:
            big = (pl.col(f"dev_{f}") >= min_dev) & (
                pl.col(f).cast(pl.Float64) - pl.col(f"med_{f}") >= MATERIAL[f]
            )
            if f in ("failure_rate", "sensitive_share"):
                big = big & (pl.col("events") >= int(p["min_events_for_rates"]))
            material.append(pl.when(big).then(pl.col(f"dev_{f}")).otherwise(0.0))
        flagged = scored.with_columns(max_rise=pl.max_horizontal(material)).filter(
            (pl.col("score") >= float(p["min_score"]))
            & (pl.col("score") >= pl.col("train_cut"))
            & (pl.col("max_rise") >= float(p["min_deviation"]))
        )
        if flagged.is_empty():
            return []
        ids = flagged.get_column("identity_id").to_list()
        ev = self.frame(ctx, EVIDENCE_SQL, ids=ids)
        evidence = dict(ev.select("identity_id", "evidence").iter_rows())
        out: list[Finding] = []
        for row in flagged.iter_rows(named=True):
            parts, facts = [], []
            for feature, dev in zip(row["top_features"], row["top_devs"], strict=True):
                if abs(dev) < 2:
                    continue
                observed, typical = row[feature], row[f"med_{feature}"]
                parts.append(
                    f"{_fmt(feature, observed)} {DESCRIPTIONS[feature]} against a typical "
                    f"{_fmt(feature, typical)}"
                )
                facts.append(
                    BaselineFact(
                        name=f"{feature}_median",
                        description=f"{DESCRIPTIONS[feature]}, median of its baseline days "
                        f"({dev:+.1f} robust deviations)",
                        value=round(float(typical), 4),
                        observed=round(float(observed), 4),
                    )
                )
            out.append(
                self.make(
                    ctx,
                    row,
                    window_start=row["first_time"],
                    window_end=row["last_time"],
                    evidence=evidence.get(row["identity_id"], []),
                    explanation=(
                        f"{who(row)} had an unusual day on {ctx.day} (anomaly score "
                        f"{row['score']:.2f} among {row['group'].replace('_', ' ')}): "
                        + "; ".join(parts)
                        + f" over its last {row['baseline_days']} active days."
                    ),
                    baseline=facts,
                    rarity=min(1.0, max(0.0, (row["score"] - 0.5) * 4)),
                    sensitivity=min(1.0, 0.2 + float(row["sensitive_share"] or 0)),
                    reach=min(1.0, abs(row["top_devs"][0]) / 12),
                    details={
                        "anomaly_score": round(row["score"], 4),
                        "top_features": ",".join(row["top_features"]),
                        "model_group": row["group"],
                    },
                )
            )
        return out


def _day_calls(actor: str, day: str, n: int, path: str, ip: str) -> list[dict]:
    return [
        {
            "event_id": f"m01-{actor}-{day}-{i}",
            "event_time": f"{day}T{8 + (i % 8):02d}:{i % 60:02d}:00Z",
            "actor_id": actor,
            "service_principal_id": actor,
            "app_id": f"app-{actor}",
            "actor_kind": "service_principal",
            "token_type": "app",
            "operation": "GET",
            "request_uri": f"https://graph.microsoft.com/v1.0{path.format(i=i)}",
            "resource_path": path.replace("{i}", "{id}"),
            "ip_address": ip.format(i=i % 40),
            "status_code": 200,
            "response_size_bytes": 1500,
        }
        for i in range(n)
    ]


_HIST = [f"2026-02-{d:02d}" for d in range(10, 28)] + [f"2026-03-0{d}" for d in range(1, 10)]
_ACTORS = [f"sp-{k}" for k in range(6)]


def _normal(days: list[str]) -> list[dict]:
    return [
        row
        for a_i, actor in enumerate(_ACTORS)
        for d_i, day in enumerate(days)
        for row in _day_calls(actor, day, 20 + (a_i * 3 + d_i) % 7, "/sites/s1/drive", "10.0.0.1")
    ]


CASES = [
    Case(
        name="a quiet service principal makes 50x its calls from 40 IPs across new paths",
        fires=True,
        day="2026-03-10",
        rows={
            "activity": _normal([*_HIST, "2026-03-10"])
            + _day_calls("sp-0", "2026-03-10", 1000, "/users/{i}/messages", "203.0.113.{i}")
        },
        check=lambda fs: [f.identity.id for f in fs] == ["sp-0"],
    ),
    Case(
        name="every identity keeps to its usual volume",
        fires=False,
        day="2026-03-10",
        rows={"activity": _normal([*_HIST, "2026-03-10"])},
    ),
]


def score_identity_days(workspace, days: list) -> pl.DataFrame:
    """AA-M01's anomaly score of every established identity on each of ``days`` (identity_id,
    identity_kind, day, score), each day judged on the history before it: for measuring the
    model (ROC-AUC against labelled days) without the rule's thresholds."""
    from pipeline import baselines, catalog
    from pipeline.config import load_config
    from pipeline.workspace import Workspace

    ws = workspace if isinstance(workspace, Workspace) else Workspace.at(workspace)
    config = load_config(ws)
    baselines.update(ws, config=config)
    con = catalog.connect(ws, read_only=True, config=config)
    frames = []
    try:
        for day in sorted(set(days)):
            baselines.set_history(con, day)
            rule = BehaviourAnomaly()
            ctx = DetectContext(
                con=con,
                day=day,
                config=config,
                run_id="score",
                params=config.detector_params(rule.id),
                lookback_days=baselines.lookback_days(con),
            )
            scored = anomaly_scores(rule, ctx, rule.params(ctx))
            if not scored.is_empty():
                frames.append(
                    scored.select("identity_id", "identity_kind", "score").with_columns(
                        day=pl.lit(day)
                    )
                )
    finally:
        con.close()
    return pl.concat(frames) if frames else pl.DataFrame()
