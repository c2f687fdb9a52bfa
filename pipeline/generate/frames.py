"""The generator's own columnar event frames, one per stream, before they are dressed as Entra
records. Normal traffic and planted incidents both build rows through :func:`frame`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

TS = pl.Datetime("us")

SIGNIN: dict[str, pl.DataType] = {
    "time": TS,
    "category": pl.String,  # SignInLogs | NonInteractiveUserSignInLogs | ServicePrincipal… | …
    "id": pl.String,
    "correlation_id": pl.String,
    "token_id": pl.String,
    "session_id": pl.String,
    "identity": pl.String,  # the envelope's display name of the actor
    "user_id": pl.String,
    "upn": pl.String,
    "user_name": pl.String,
    "user_type": pl.String,
    "app_id": pl.String,
    "app_name": pl.String,
    "sp_id": pl.String,
    "sp_name": pl.String,
    "resource_id": pl.String,
    "resource_name": pl.String,
    "ip": pl.String,
    "city": pl.String,
    "state": pl.String,
    "country": pl.String,
    "lat": pl.Float64,
    "lon": pl.Float64,
    "asn": pl.Int64,
    "user_agent": pl.String,
    "client_app": pl.String,
    "os": pl.String,
    "browser": pl.String,
    "device_id": pl.String,
    "interactive": pl.Boolean,
    "error_code": pl.Int64,
    "failure_reason": pl.String,
    "ca_status": pl.String,  # success | failure | notApplied
    "mfa": pl.Boolean,
    "cred_type": pl.String,
    "cred_key_id": pl.String,
    "agent_type": pl.String,  # null: the record has no agent block
    "agent_parent_app_id": pl.String,
    "agent_subject_type": pl.String,
    "agent_subject_parent_id": pl.String,
    "incoming_token_type": pl.String,
    "processing_ms": pl.Int64,
}

GRAPH: dict[str, pl.DataType] = {
    "time": TS,
    "request_id": pl.String,
    "client_request_id": pl.String,
    "method": pl.String,
    "uri": pl.String,
    "api_version": pl.String,
    "status": pl.Int64,
    "duration_ms": pl.Int64,
    "size": pl.Int64,
    "sign_in_id": pl.String,  # uniqueTokenIdentifier of the sign-in that minted the token
    "token_issued_at": TS,
    "app_id": pl.String,
    "sp_id": pl.String,
    "user_id": pl.String,
    "idtyp": pl.String,  # app | user
    "roles": pl.String,
    "scopes": pl.String,
    "ip": pl.String,
    "user_agent": pl.String,
    "region": pl.String,
    "client_auth_method": pl.String,
    "device_id": pl.String,
    "session_id": pl.String,
}

AUDIT: dict[str, pl.DataType] = {
    "time": TS,
    "id": pl.String,
    "correlation_id": pl.String,
    "activity": pl.String,
    "category": pl.String,
    "operation_type": pl.String,
    "result": pl.String,
    "logged_by": pl.String,
    "init_kind": pl.String,  # user | app
    "init_id": pl.String,
    "init_name": pl.String,
    "init_upn": pl.String,
    "init_app_id": pl.String,
    "init_ip": pl.String,
    "target_id": pl.String,
    "target_name": pl.String,
    "target_type": pl.String,
    "target_upn": pl.String,
    "target_agent_type": pl.String,  # targetResources[0].agentType; null: not written
    "extra_targets": pl.String,  # JSON list of further targetResources entries, or null
    "mod_names": pl.List(pl.String),
    "mod_old": pl.List(pl.String),  # JSON text, as Entra writes it
    "mod_new": pl.List(pl.String),
    "detail_keys": pl.List(pl.String),
    "detail_values": pl.List(pl.String),
}

M365: dict[str, pl.DataType] = {
    "time": TS,
    "id": pl.String,
    "operation": pl.String,  # FileAccessed | MailItemsAccessed
    "user_id": pl.String,  # UPN or app display, as UserId holds it
    "user_key": pl.String,
    "app_id": pl.String,
    "app_name": pl.String,
    "ip": pl.String,
    "user_agent": pl.String,
    "object_id": pl.String,
    "site_url": pl.String,
    "file_name": pl.String,
    "folder": pl.String,
    "mailbox_upn": pl.String,
    "mailbox_guid": pl.String,
    "item_count": pl.Int64,
}

SCHEMAS = {"signin": SIGNIN, "graph": GRAPH, "audit": AUDIT, "m365": M365}


def frame(stream: str, n: int, **cols: Any) -> pl.DataFrame:
    """A frame of ``n`` rows of ``stream``: given columns (arrays or scalars), the rest null."""
    schema = SCHEMAS[stream]
    unknown = set(cols) - set(schema)
    if unknown:
        raise KeyError(f"{stream}: unknown columns {sorted(unknown)}")
    arrays: dict[str, pl.Series] = {}
    scalars: list[pl.Expr] = []
    for name, dtype in schema.items():
        value = cols.get(name)
        if isinstance(value, np.ndarray) and value.dtype == object:
            arrays[name] = pl.Series(name, value.tolist(), dtype=dtype)
        elif isinstance(value, (np.ndarray, list, pl.Series)):
            arrays[name] = pl.Series(name, value).cast(dtype)
        else:
            scalars.append(pl.lit(value, dtype=dtype).alias(name))
    base = pl.DataFrame(arrays) if arrays else pl.DataFrame({"_n": np.zeros(n, dtype=np.int8)})
    if len(base) != n:
        raise ValueError(f"{stream}: columns of {len(base)} rows for a frame of {n}")
    return base.with_columns(scalars).select(list(schema))


def empty(stream: str) -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMAS[stream])
