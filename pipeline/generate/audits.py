"""Directory audit events: each agent's life (created by its owner, sponsor set, credentials
added and rotated) and the changes planted by the story."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np

from pipeline.generate.cast import Actor, Tenant
from pipeline.generate.frames import AUDIT
from pipeline.generate.ids import uuid

CORE_DIRECTORY = "Core Directory"
APP_MGMT = "ApplicationManagement"


def _q(value: str) -> str:
    """A modified property value as Entra writes it: JSON text inside the string."""
    return json.dumps(value)


def audit(
    tenant: Tenant,
    rng: np.random.Generator,
    time_us: int,
    activity: str,
    initiator: dict,
    target: Actor | dict,
    *,
    operation_type: str = "Update",
    category: str = APP_MGMT,
    mods: list[tuple[str, str | None, str | None]] | None = None,
    details: list[tuple[str, str]] | None = None,
    logged_by: str = CORE_DIRECTORY,
    correlation_id: str | None = None,
    agent_type: str | None = None,
    extra_targets: list[dict] | None = None,
) -> dict:
    """One audit event as a row of the AUDIT frame.

    ``initiator``: a person's row (tenant.humans) or an Actor-like dict. ``correlation_id``:
    shared by the events of one operation (an Entitlement Management request and its approval
    and fulfilment); ``agent_type``: the first target's ``agentType``; ``extra_targets``:
    further ``targetResources`` entries (see :func:`target`).
    """
    corr = correlation_id or uuid(rng)
    if "upn" in initiator:
        init = dict(
            init_kind="user",
            init_id=initiator["id"],
            init_name=initiator["name"],
            init_upn=initiator["upn"],
            init_ip=initiator["ip"],
        )
    else:
        init = dict(
            init_kind="app",
            init_id=initiator["object_id"],
            init_name=initiator["name"],
            init_app_id=initiator["app_id"],
            init_ip="",
        )
    if isinstance(target, Actor):
        is_user = target.kind == "agent_user"
        tgt = dict(
            target_id=target.object_id,
            target_name=target.name,
            target_type="User" if is_user else "ServicePrincipal",
            target_upn=target.upn,
        )
    else:
        tgt = {k: target.get(k) for k in ("target_id", "target_name", "target_type", "target_upn")}
    mods = mods or []
    details = details or []
    row = dict.fromkeys(AUDIT)
    row.update(
        time=datetime(1970, 1, 1) + timedelta(microseconds=int(time_us)),
        id=f"Directory_{corr}_{rng.integers(10000, 99999)}_{rng.integers(10**7, 10**8)}",
        correlation_id=corr,
        activity=activity,
        category=category,
        operation_type=operation_type,
        result="success",
        logged_by=logged_by,
        mod_names=[m[0] for m in mods],
        mod_old=[m[1] for m in mods],
        mod_new=[m[2] for m in mods],
        detail_keys=[d[0] for d in details],
        detail_values=[d[1] for d in details],
        target_agent_type=agent_type,
        extra_targets=json.dumps(extra_targets) if extra_targets else None,
        **init,
        **tgt,
    )
    return row


def target(
    target_id: str,
    name: str | None,
    kind: str,
    *,
    upn: str | None = None,
    agent_type: str | None = None,
    mods: list[tuple[str, str | None, str | None]] | None = None,
) -> dict:
    """One further ``targetResources`` entry, as Entra writes it."""
    out: dict = {"id": target_id, "displayName": name, "type": kind, "userPrincipalName": upn}
    if agent_type:
        out["agentType"] = agent_type
    out["modifiedProperties"] = [
        {"displayName": n, "oldValue": o, "newValue": v} for n, o, v in (mods or [])
    ]
    out["administrativeUnits"] = []
    return out


def key_description(key_id: str, kind: str, label: str) -> str:
    key_type = "Password" if kind == "clientSecret" else "AsymmetricX509Cert"
    return json.dumps(
        [f"[KeyIdentifier={key_id},KeyType={key_type},KeyUsage=Verify,DisplayName={label}]"]
    )


def credential_added(
    tenant: Tenant,
    rng: np.random.Generator,
    time_us: int,
    by: dict,
    actor: Actor,
    key_id: str,
    label: str,
) -> dict:
    return audit(
        tenant,
        rng,
        time_us,
        "Add service principal credentials",
        by,
        actor,
        mods=[
            ("KeyDescription", "[]", key_description(key_id, actor.credential_type, label)),
            ("Included Updated Properties", None, _q("KeyDescription")),
        ],
        details=[("AppId", actor.app_id)],
    )


def created(
    tenant: Tenant, rng: np.random.Generator, time_us: int, by: dict, actor: Actor
) -> list[dict]:
    """The birth of an agent: created, owner added, sponsor set, first credential."""
    if actor.kind == "agent_user":
        out = [
            audit(
                tenant,
                rng,
                time_us,
                "Add user",
                by,
                actor,
                operation_type="Add",
                category="UserManagement",
                mods=[
                    ("AccountEnabled", "[]", "[true]"),
                    ("UserPrincipalName", "[]", json.dumps([actor.upn])),
                    ("UserType", "[]", '["Member"]'),
                ],
                details=[("UserType", "Member")],
            )
        ]
    else:
        out = [
            audit(
                tenant,
                rng,
                time_us,
                "Add service principal",
                by,
                actor,
                operation_type="Add",
                mods=[
                    ("AccountEnabled", "[]", "[true]"),
                    ("AppPrincipalId", "[]", json.dumps([actor.app_id])),
                    ("DisplayName", "[]", json.dumps([actor.name])),
                    *([("Tags", "[]", json.dumps(actor.tags))] if actor.tags else []),
                ],
                details=[("AppId", actor.app_id), *actor.creation_details],
            )
        ]
    out.append(
        audit(
            tenant,
            rng,
            time_us + 40_000_000,
            "Add owner to service principal",
            by,
            actor,
            operation_type="Assign",
            mods=[("Principal.UserPrincipalName", None, _q(actor.owner or by["upn"]))],
        )
    )
    if actor.sponsor:
        out.append(
            audit(
                tenant,
                rng,
                time_us + 80_000_000,
                "Update service principal",
                by,
                actor,
                mods=[
                    ("Sponsors", "[]", json.dumps([actor.sponsor])),
                    ("Included Updated Properties", None, _q("Sponsors")),
                ],
            )
        )
    if actor.kind not in ("agent_user", "managed_identity"):
        out.append(
            credential_added(
                tenant, rng, time_us + 120_000_000, by, actor, actor.credential_key_id, "initial"
            )
        )
    return out
