"""AA-M01's model: an isolation forest over per-identity-day features, one per identity-kind group.

Raw volumes differ by orders of magnitude between identities (a mail agent makes 20,000 calls a
day, a person 40), so the forest never sees raw values: each feature is first turned into its
deviation from *the identity's own* baseline days (``deviations``: a robust z-score of
``log1p(value)`` against the identity's median and MAD, with a floor so a perfectly regular agent
does not explode on a tiny change). The forest then learns, per group (agents, humans, service
principals), which deviation patterns are ordinary, and scores the judged day's rows. The features
that deviate most explain the score.

scikit-learn habits: parameters in ``__init__``, ``fit`` returns self, learned attributes end in
``_``, randomness through ``random_state``, and ``score_samples`` is higher = more anomalous.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from sklearn.ensemble import IsolationForest

#: per-identity-day features, as the rollup names them, and how a deviation is measured
FEATURES: tuple[str, ...] = (
    "events",
    "distinct_resources",
    "distinct_paths",
    "distinct_ips",
    "distinct_countries",
    "distinct_user_agents",
    "active_hours",
    "failure_rate",
    "bytes",
    "sensitive_share",
)
#: features that are fractions (0-1): compared as they are, not on a log scale
FRACTIONS = frozenset({"failure_rate", "sensitive_share"})
#: the smallest spread a feature's baseline is given (log units, or fraction points)
FLOORS: dict[str, float] = {"failure_rate": 0.1, "sensitive_share": 0.1}
LOG_FLOOR = 0.35  # ~ a 40 % swing counts as one unit of deviation for a very regular identity
CLIP = 12.0

#: which forest an identity kind belongs to
KIND_GROUPS: dict[str, str] = {
    "agent_identity": "agents",
    "agent_user": "agents",
    "agent_blueprint": "agents",
    "human": "humans",
    "guest": "humans",
    "service_principal": "service_principals",
    "managed_identity": "service_principals",
}
DESCRIPTIONS: dict[str, str] = {
    "events": "events",
    "distinct_resources": "distinct resources",
    "distinct_paths": "distinct API paths",
    "distinct_ips": "distinct IP addresses",
    "distinct_countries": "distinct countries",
    "distinct_user_agents": "distinct user agents",
    "active_hours": "active hours",
    "failure_rate": "failure rate",
    "bytes": "bytes returned",
    "sensitive_share": "share of sensitive requests",
}


def kind_group(kind: str | None) -> str:
    """'agents', 'humans' or 'service_principals' (unknown kinds go with service principals)."""
    return KIND_GROUPS.get(kind or "", "service_principals")


def deviations(
    history: pl.DataFrame, rows: pl.DataFrame, features: Sequence[str] = FEATURES
) -> pl.DataFrame:
    """``rows`` with, per feature, ``dev_<f>`` (robust z against the identity's ``history`` days)
    and ``med_<f>`` (the identity's typical value). Both frames: identity_id plus the features."""

    def transformed(f: str) -> pl.Expr:
        col = pl.col(f).cast(pl.Float64).fill_null(0.0)
        return col if f in FRACTIONS else col.clip(lower_bound=0).log1p()

    stats = history.group_by("identity_id").agg(
        [transformed(f).median().alias(f"_m_{f}") for f in features]
        + [pl.col(f).cast(pl.Float64).fill_null(0.0).median().alias(f"med_{f}") for f in features]
        + [pl.len().alias("baseline_days")]
    )
    mads = (
        history.join(stats.select("identity_id", *[f"_m_{f}" for f in features]), on="identity_id")
        .group_by("identity_id")
        .agg(
            [(transformed(f) - pl.col(f"_m_{f}")).abs().median().alias(f"_d_{f}") for f in features]
        )
    )
    out = rows.join(stats, on="identity_id", how="left").join(mads, on="identity_id", how="left")
    devs = []
    for f in features:
        floor = FLOORS.get(f, LOG_FLOOR)
        spread = pl.max_horizontal(pl.col(f"_d_{f}").fill_null(0.0) * 1.4826, pl.lit(floor))
        dev = (transformed(f) - pl.col(f"_m_{f}").fill_null(0.0)) / spread
        devs.append(dev.clip(-CLIP, CLIP).alias(f"dev_{f}"))
    out = out.with_columns(devs).with_columns(pl.col("baseline_days").fill_null(0))
    return out.drop([c for c in out.columns if c.startswith(("_m_", "_d_"))])


class IdentityDayForest:
    """One ``IsolationForest`` per identity-kind group, over deviation features."""

    def __init__(
        self,
        n_estimators: int = 200,
        max_samples: int | str = 256,
        random_state: int | None = 0,
        min_group_rows: int = 16,
        features: Sequence[str] = FEATURES,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.random_state = random_state
        self.min_group_rows = min_group_rows
        self.features = tuple(features)

    def _devs(self, frame: pl.DataFrame) -> np.ndarray:
        cols = [f"dev_{f}" for f in self.features]
        return frame.select([pl.col(c).fill_null(0.0) for c in cols]).to_numpy().astype(np.float64)

    def _matrix(self, frame: pl.DataFrame) -> np.ndarray:
        """The deviations plus two summaries (largest rise, root mean square), so that one
        feature far out is as easy to isolate as several a little out."""
        x = self._devs(frame)
        if x.shape[1] == 0:
            return x
        summary = np.column_stack([x.max(axis=1), np.sqrt((x**2).mean(axis=1))])
        return np.hstack([x, summary])

    def fit(self, frame: pl.DataFrame) -> IdentityDayForest:
        """Fit on deviation rows (``dev_<feature>`` columns and ``group``)."""
        self.models_: dict[str, IsolationForest] = {}
        self.feature_names_ = self.features
        all_x = self._matrix(frame)
        groups = frame.get_column("group").to_numpy()
        for group in sorted(set(groups.tolist())):
            x = all_x[groups == group]
            if len(x) < self.min_group_rows:
                x = all_x  # too few rows of its own: learn from the whole tenant
            model = IsolationForest(
                n_estimators=self.n_estimators,
                max_samples=min(self.max_samples, len(x))
                if isinstance(self.max_samples, int)
                else self.max_samples,
                random_state=self.random_state,
            )
            self.models_[group] = model.fit(x)
        if len(all_x):
            self.models_["*"] = IsolationForest(
                n_estimators=self.n_estimators,
                max_samples=min(256, len(all_x)),
                random_state=self.random_state,
            ).fit(all_x)
        return self

    def score_samples(self, frame: pl.DataFrame) -> np.ndarray:
        """Anomaly score per row, 0-1, higher = more anomalous (0.5 is unremarkable)."""
        if not hasattr(self, "models_"):
            raise RuntimeError("IdentityDayForest is not fitted; call fit first")
        x = self._matrix(frame)
        groups = frame.get_column("group").to_numpy()
        out = np.zeros(len(x))
        for group in set(groups.tolist()):
            mask = groups == group
            model = self.models_.get(group) or self.models_.get("*")
            if model is None:
                continue
            out[mask] = -model.score_samples(x[mask])
        return out

    def explain(self, frame: pl.DataFrame, top: int = 3) -> list[list[tuple[str, float]]]:
        """Per row, the ``top`` features deviating most from the identity's baseline."""
        x = self._devs(frame)
        order = np.argsort(-np.abs(x), axis=1)[:, :top]
        return [[(self.features[j], float(x[i, j])) for j in order[i]] for i in range(len(x))]
