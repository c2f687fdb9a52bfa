"""Microsoft 365 unified audit records (the Office 365 Management Activity API, Purview's audit
search export): ``FileAccessed``, ``MailItemsAccessed``, ``CopilotInteraction`` …

The data-access operations land in ``activity`` (source_log m365); any other operation is
quarantined with its name. A Purview CSV export holds each record whole in its ``AuditData`` column.
"""

from __future__ import annotations

import polars as pl

from pipeline.ingest.dialects.base import Dialect, Normaliser, normalise_header
from pipeline.ingest.exprs import common, f, present
from pipeline.resource_path import resource_path_expr

FIELDS: dict[str, list[str]] = {
    "id": ["$.Id"],
    "created": ["$.CreationTime", "$.CreationDate"],
    "operation": ["$.Operation"],
    "workload": ["$.Workload"],
    "record_type": ["$.RecordType"],
    "tenant_id": ["$.OrganizationId"],
    "upn": ["$.UserId", "$.MailboxOwnerUPN"],
    "user_key": ["$.UserKey"],
    "m365_user_type": ["$.UserType"],
    "ip": ["$.ClientIP", "$.ClientIPAddress", "$.ActorIpAddress"],
    "app_id": [
        "$.AppAccessContext.ClientAppId",
        "$.ClientAppId",
        "$.AppId",
        "$.ApplicationId",
    ],
    "user_agent": ["$.UserAgent", "$.ClientInfoString"],
    "session_id": ["$.AppAccessContext.AADSessionId", "$.SessionId"],
    "unique_token_id": ["$.AppAccessContext.UniqueTokenId"],
    "object_uri": [
        "$.ObjectId",
        "$.SiteUrl",
        "$.Folders[0].Path",
        "$.CopilotEventData.AccessedResources[0].Id",
        "$.CopilotEventData.AppHost",
    ],
    "sensitivity_label_id": [
        "$.SensitivityLabelId",
        "$.SensitivityLabelEventData.SensitivityLabelId",
        "$.CopilotEventData.AccessedResources[0].SensitivityLabelId",
    ],
    "result_status": ["$.ResultStatus"],
    "correlation_id": ["$.CorrelationId"],
    "app_identity": ["$.AppIdentity"],
}

#: Microsoft 365 unified audit operations that are data access (-> activity).
M365_OPERATIONS = (
    "FileAccessed",
    "FileAccessedExtended",
    "FileDownloaded",
    "FilePreviewed",
    "MailItemsAccessed",
    "CopilotInteraction",
)

#: CSV headers (normalised) of a Purview audit export: the record is in AuditData
CSV_MARKERS = {"auditdata"}


def category() -> pl.Expr:
    """M365DataAccess for a data-access operation, else the operation's name (quarantined)."""
    return (
        pl.when(pl.col("operation").is_in(M365_OPERATIONS))
        .then(pl.lit("M365DataAccess"))
        .when(present("operation"))
        .then(pl.lit("M365 operation ") + pl.col("operation"))
        .otherwise(None)
    )


_GUIDISH = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_APP_USER_TYPES = ["5", "application", "serviceprincipal"]


def activity(frame: pl.DataFrame) -> list[pl.Expr]:
    app_only = f("m365_user_type").str.to_lowercase().is_in(_APP_USER_TYPES).fill_null(False)
    user_id = (
        pl.when(app_only)
        .then(None)
        .when(f("user_key").str.contains(_GUIDISH))
        .then(f("user_key"))
        .otherwise(f("upn"))
    )
    delegated = user_id.is_not_null()
    ip = (
        f("ip")
        .str.replace(r"^(\d+\.\d+\.\d+\.\d+):\d+$", "$1")
        .str.replace(r"^\[([0-9a-fA-F:]+)\]:\d+$", "$1")
    )
    time = pl.col("__t_created")
    return [
        pl.col("id").alias("event_id"),
        *common(frame, time),
        f("kind").alias("source_log"),
        pl.when(delegated)
        .then(pl.lit("human"))
        .otherwise(pl.lit("service_principal"))
        .alias("actor_kind"),
        pl.lit("log_category").alias("actor_kind_source"),
        pl.coalesce(user_id, f("app_id")).alias("actor_id"),
        f("app_id").alias("app_id"),
        pl.lit(None, pl.String).alias("service_principal_id"),
        user_id.alias("user_id"),
        pl.when(app_only).then(None).otherwise(f("upn")).alias("user_principal_name"),
        pl.when(delegated).then(pl.lit("delegated")).otherwise(pl.lit("app")).alias("token_type"),
        f("operation").alias("operation"),
        f("object_uri").alias("request_uri"),
        resource_path_expr(f("object_uri")).alias("resource_path"),
        pl.lit(None, pl.String).alias("api_version"),
        pl.lit(None, pl.Int64).alias("status_code"),
        pl.lit(None, pl.Int64).alias("response_size_bytes"),
        pl.lit(None, pl.Int64).alias("duration_ms"),
        ip.alias("ip_address"),
        f("user_agent").alias("user_agent"),
        pl.lit([], pl.List(pl.String)).alias("scopes"),
        pl.lit([], pl.List(pl.String)).alias("roles"),
        pl.lit(None, pl.String).alias("sign_in_activity_id"),
        f("session_id").alias("session_id"),
        f("correlation_id").alias("operation_id"),
        f("sensitivity_label_id").alias("sensitivity_label_id"),
    ]


#: a unified audit record's activity row: its time in ``created``, its id in ``id``
NORMALISERS = {"activity": Normaliser(activity, time_field="created", id_label="id")}


class M365Audit(Dialect):
    name = "m365"
    title = "Microsoft 365 unified audit"
    source_format = "m365"
    fields = FIELDS
    normalisers = NORMALISERS

    def recognise(self, record: dict) -> bool:
        keys = set(record)
        return {"RecordType", "Operation"} <= keys or {"CreationTime", "Operation"} <= keys

    def recognise_header(self, keys: set[str]) -> bool:
        return bool(keys & CSV_MARKERS)

    def csv_records(self, frame: pl.DataFrame, names: list[str]) -> pl.Series:
        """The record is the ``AuditData`` cell."""
        return frame.get_column(next(n for n in names if normalise_header(n) == "auditdata"))

    def category(self) -> pl.Expr:
        return category()


DIALECT = M365Audit()
