"""AA-M01's model: scikit-learn habits, deviations from the identity's own days, explanations."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from detectors.forest import FEATURES, IdentityDayForest, deviations, kind_group


def _days(identity: str, n: int, events: float, rng: np.random.Generator) -> pl.DataFrame:
    rows = []
    for d in range(n):
        row = {f: float(rng.poisson(3) + 1) for f in FEATURES}
        row.update(
            identity_id=identity,
            events=float(rng.poisson(events)),
            failure_rate=0.01,
            sensitive_share=0.2,
        )
        rows.append({**row, "day": d})
    return pl.DataFrame(rows)


@pytest.fixture
def tenant() -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(1)
    # identities with volumes two orders of magnitude apart: raw volume must not decide
    history = pl.concat(
        [_days(f"id-{i}", 20, [30, 300, 3000][i % 3], rng) for i in range(12)]
    ).with_columns(group=pl.lit("agents"))
    today = pl.concat([_days(f"id-{i}", 1, [30, 300, 3000][i % 3], rng) for i in range(12)])
    # id-0 (30 a day) makes 900 calls; id-2's 3000 are its normal
    today = today.with_columns(
        events=pl.when(pl.col("identity_id") == "id-0").then(900.0).otherwise(pl.col("events")),
        group=pl.lit("agents"),
    )
    return history, today


def test_deviation_is_against_the_identitys_own_days(tenant) -> None:
    history, today = tenant
    dev = deviations(history, today).sort("identity_id")
    by_id = dict(zip(dev["identity_id"], dev["dev_events"], strict=True))
    assert by_id["id-0"] > 5  # 30x its own normal
    assert abs(by_id["id-2"]) < 2  # 3000 is id-2's normal, however large
    assert dev["baseline_days"].min() == 20


def test_sklearn_habits_and_higher_is_more_anomalous(tenant) -> None:
    history, today = tenant
    train = deviations(history, history)
    scored = deviations(history, today)
    forest = IdentityDayForest(n_estimators=50, random_state=3)
    assert forest.fit(pl.concat([train, scored], how="diagonal_relaxed")) is forest
    assert set(forest.models_) >= {"agents", "*"} and forest.feature_names_ == FEATURES
    scores = forest.score_samples(scored)
    assert scores.shape == (12,) and ((scores > 0) & (scores <= 1)).all()
    ids = scored["identity_id"].to_list()
    assert ids[int(np.argmax(scores))] == "id-0"
    again = IdentityDayForest(n_estimators=50, random_state=3).fit(
        pl.concat([train, scored], how="diagonal_relaxed")
    )
    assert np.allclose(again.score_samples(scored), scores)  # random_state honoured
    (top, *_), *_ = [forest.explain(scored.filter(pl.col("identity_id") == "id-0"), top=2)[0]]
    assert top[0] == "events" and top[1] > 5


def test_unfitted_forest_refuses_to_score(tenant) -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        IdentityDayForest().score_samples(tenant[1])


def test_kind_groups() -> None:
    assert kind_group("agent_user") == "agents"
    assert kind_group("guest") == "humans"
    assert kind_group("managed_identity") == kind_group(None) == "service_principals"
