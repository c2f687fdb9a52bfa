"""Polars expression helpers shared by the dialects and the table normalisers.

Every extracted field is a String column (normalise.frame_fields); these turn them into the
lake's types and read Entra's agent fields. They build expressions only: nothing loops over rows.
"""

from __future__ import annotations

import polars as pl

# Entra agent fields (DESIGN.md section 5), lower case -> actor_kind.
AGENT_KIND: dict[str, str] = {
    "agenticappinstance": "agent_identity",
    "agentiduser": "agent_user",
    "agenticapp": "agent_blueprint",
    "agentidentityblueprintprincipal": "agent_blueprint",
    "agenticappbuilder": "agent_blueprint",
}


def f(name: str) -> pl.Expr:
    return pl.col(name)


def opt(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, pl.String)


def present(name: str) -> pl.Expr:
    return pl.col(name).is_not_null()


def to_int(expr: pl.Expr) -> pl.Expr:
    return pl.coalesce(
        expr.cast(pl.Int64, strict=False),
        expr.cast(pl.Float64, strict=False).cast(pl.Int64, strict=False),
    )


def to_float(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Float64, strict=False)


def to_bool(expr: pl.Expr) -> pl.Expr:
    low = expr.str.to_lowercase()
    return (
        pl.when(low.is_in(["true", "1", "yes", "y"]))
        .then(True)
        .when(low.is_in(["false", "0", "no", "n"]))
        .then(False)
        .otherwise(None)
    )


def to_list(expr: pl.Expr) -> pl.Expr:
    """Space / comma separated (or JSON array text) -> list of strings; absent or empty -> []."""
    return expr.str.extract_all(r"[^\s,\[\]\"]+").fill_null(pl.lit([], pl.List(pl.String)))


def agent_kind(agent_type: pl.Expr, subject_type: pl.Expr) -> pl.Expr:
    """actor_kind from Entra's agent fields (subject type first), null when not agentic."""
    sub = subject_type.str.to_lowercase().replace_strict(AGENT_KIND, default=None)
    typ = agent_type.str.to_lowercase().replace_strict(AGENT_KIND, default=None)
    return pl.coalesce(sub, typ)


def common(frame: pl.DataFrame, time: pl.Expr) -> list[pl.Expr]:
    """The event time and tenant id every table starts with."""
    return [
        time.alias("event_time"),
        pl.coalesce(opt(frame, "tenant_id"), opt(frame, "env_tenant_id")).alias("tenant_id"),
    ]


def event_types_has(kind: str) -> pl.Expr:
    """Whether a sign-in's ``signInEventTypes`` names ``kind`` (as a word, any case)."""
    return pl.col("event_types").fill_null("").str.contains(f"(?i)\\b{kind}\\b")


def user_signin_category() -> pl.Expr:
    """A user sign-in's log: non-interactive when its event types or isInteractive say so."""
    return (
        pl.when(event_types_has("nonInteractiveUser"))
        .then(pl.lit("NonInteractiveUserSignInLogs"))
        .when(event_types_has("interactiveUser"))
        .then(pl.lit("SignInLogs"))
        .when(pl.col("is_interactive").fill_null("").str.to_lowercase() == "false")
        .then(pl.lit("NonInteractiveUserSignInLogs"))
        .otherwise(pl.lit("SignInLogs"))
    )
