"""Dress the generator's frames as Entra records, exactly as the diagnostic-settings export
(Azure Monitor → storage account / Event Hub) writes them: envelope keys, casing and value types
follow the real files in ``../shared/samples/``.

Sign-ins and Graph activity are built as polars struct columns and JSON-encoded column-wise;
audit and Microsoft 365 records (a few hundred a day) are built as dicts.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from pipeline.generate import world

EMPTY_LIST = "@@empty-list@@"
EMPTY_OBJ = "@@empty-object@@"
TIME7 = "%Y-%m-%dT%H:%M:%S%.6f0Z"  # 7 fractional digits, as Entra prints them
TIME7_OFFSET = "%Y-%m-%dT%H:%M:%S%.6f0+00:00"
NULL = pl.lit(None, dtype=pl.String)


def _fix(text: pl.Expr) -> pl.Expr:
    """Turn our placeholders for untyped empty lists and objects into JSON."""
    return text.str.replace_all(f'"{EMPTY_LIST}"', "[]", literal=True).str.replace_all(
        f'"{EMPTY_OBJ}"', "{}", literal=True
    )


def _empty_list() -> pl.Expr:
    return pl.lit(EMPTY_LIST)


def _empty_obj() -> pl.Expr:
    return pl.lit(EMPTY_OBJ)


def _s(name: str) -> pl.Expr:
    return pl.col(name).fill_null("")


def _envelope_time(shift_s: int = 75) -> pl.Expr:
    # the export stamps the record a little after the event itself
    return (pl.col("time") + pl.duration(seconds=shift_s)).dt.strftime(TIME7)


def _location() -> pl.Expr:
    return pl.struct(
        city=_s("city"),
        state=_s("state"),
        countryOrRegion=_s("country"),
        geoCoordinates=pl.struct(
            latitude=pl.col("lat").fill_null(0.0), longitude=pl.col("lon").fill_null(0.0)
        ),
    )


def _status(failed: bool) -> pl.Expr:
    if not failed:
        return pl.struct(errorCode=pl.col("error_code"))
    return pl.struct(
        errorCode=pl.col("error_code"),
        failureReason=_s("failure_reason"),
        additionalDetails=pl.lit("The user or application failed to authenticate."),
    )


def _ca_policies(ca: str, agentic: bool) -> pl.Expr:
    if ca == "notApplied":
        return _empty_list()
    pid, name = world.CA_AGENTS if agentic else world.CA_MFA
    grant = pl.lit([] if agentic else ["Mfa"], dtype=pl.List(pl.String))
    return pl.concat_list(
        pl.struct(
            id=pl.lit(pid),
            displayName=pl.lit(name),
            enforcedGrantControls=grant,
            enforcedSessionControls=pl.lit([], dtype=pl.List(pl.String)),
            result=pl.lit("success" if ca == "success" else "failure"),
            conditionsSatisfied=pl.lit(3 if agentic else 1),
            conditionsNotSatisfied=pl.lit(0),
        )
    )


def _agent() -> pl.Expr:
    return pl.struct(
        agentType=pl.col("agent_type"),
        parentAppId=pl.col("agent_parent_app_id"),
        agentSubjectType=pl.col("agent_subject_type"),
        agentSubjectParentId=pl.col("agent_subject_parent_id"),
    )


def _auth_details(failed: bool) -> pl.Expr:
    method = (
        pl.when(pl.col("interactive"))
        .then(pl.lit("Password"))
        .otherwise(pl.lit("Previously satisfied"))
    )
    first = pl.struct(
        authenticationStepDateTime=pl.col("time").dt.strftime(TIME7_OFFSET),
        authenticationMethod=method,
        succeeded=pl.lit(not failed),
        authenticationStepResultDetail=pl.lit(
            "Invalid username or password or Invalid on-premise username or password."
            if failed
            else "First factor requirement satisfied by claim in the token"
        ),
        authenticationStepRequirement=pl.lit("Primary authentication"),
        StatusSequence=pl.lit(0),
        RequestSequence=pl.lit(0),
    )
    mfa = pl.struct(
        authenticationStepDateTime=pl.col("time").dt.strftime(TIME7_OFFSET),
        authenticationMethod=pl.lit("Mobile app notification"),
        succeeded=pl.lit(True),
        authenticationStepResultDetail=pl.lit("MFA successfully completed"),
        authenticationStepRequirement=pl.lit("Multifactor authentication"),
        StatusSequence=pl.lit(0),
        RequestSequence=pl.lit(1),
    )
    return pl.when(pl.col("mfa")).then(pl.concat_list(first, mfa)).otherwise(pl.concat_list(first))


def _user_properties(tenant_id: str, agentic: bool, failed: bool, ca: str) -> pl.Expr:
    fields: dict[str, pl.Expr] = dict(
        id=pl.col("id"),
        createdDateTime=pl.col("time").dt.strftime(TIME7_OFFSET),
        userDisplayName=_s("user_name"),
        userPrincipalName=_s("upn"),
        userId=_s("user_id"),
        appId=pl.col("app_id"),
        appDisplayName=_s("app_name"),
        ipAddress=pl.col("ip"),
        status=_status(failed),
        clientAppUsed=_s("client_app"),
        userAgent=_s("user_agent"),
        deviceDetail=pl.struct(
            deviceId=_s("device_id"), operatingSystem=_s("os"), browser=_s("browser")
        ),
        location=_location(),
        correlationId=pl.col("correlation_id"),
        conditionalAccessStatus=pl.lit(ca),
        appliedConditionalAccessPolicies=_ca_policies(ca, agentic),
        authenticationContextClassReferences=_empty_list(),
        originalRequestId=pl.col("id"),
        isInteractive=pl.col("interactive"),
        tokenIssuerName=pl.lit(""),
        tokenIssuerType=pl.lit("AzureAD"),
        authenticationProcessingDetails=pl.concat_list(
            pl.struct(key=pl.lit("Legacy TLS (TLS 1.0, 1.1, 3DES)"), value=pl.lit("False")),
            pl.struct(key=pl.lit("Is CAE Token"), value=pl.lit("False")),
        ),
        networkLocationDetails=_empty_list(),
        clientCredentialType=pl.col("cred_type"),
        processingTimeInMilliseconds=pl.col("processing_ms"),
        riskDetail=pl.lit("none"),
        riskLevelAggregated=pl.lit("none"),
        riskLevelDuringSignIn=pl.lit("none"),
        riskState=pl.lit("none"),
        riskEventTypes=_empty_list(),
        riskEventTypes_v2=_empty_list(),
        resourceDisplayName=pl.col("resource_name"),
        resourceId=pl.col("resource_id"),
        resourceTenantId=pl.lit(tenant_id),
        homeTenantId=pl.lit(tenant_id),
        tenantId=pl.lit(tenant_id),
        authenticationDetails=_auth_details(failed),
        authenticationRequirementPolicies=_empty_list(),
        sessionLifetimePolicies=_empty_list(),
        authenticationRequirement=pl.when(pl.col("mfa"))
        .then(pl.lit("multiFactorAuthentication"))
        .otherwise(pl.lit("singleFactorAuthentication")),
        servicePrincipalId=_s("sp_id"),
        userType=_s("user_type"),
        flaggedForReview=pl.lit(False),
        isTenantRestricted=pl.lit(False),
        autonomousSystemNumber=pl.col("asn").fill_null(0),
        crossTenantAccessType=pl.lit("none"),
        privateLinkDetails=_empty_obj(),
        ssoExtensionVersion=pl.lit(""),
        uniqueTokenIdentifier=pl.col("token_id"),
        authenticationStrengths=_empty_list(),
        incomingTokenType=_s("incoming_token_type"),
        authenticationProtocol=pl.lit("none"),
        appServicePrincipalId=NULL,
        resourceServicePrincipalId=pl.lit("7ad78918-1502-40a7-988e-f5bb511c31d6"),
        rngcStatus=pl.lit(0),
        signInTokenProtectionStatus=pl.lit("none"),
        tokenProtectionStatusDetails=pl.struct(
            signInSessionStatus=pl.lit("unbound"), signInSessionStatusCode=pl.lit(1002)
        ),
        originalTransferMethod=pl.lit("none"),
        isThroughGlobalSecureAccess=pl.lit(False),
        conditionalAccessAudiences=pl.concat_list(
            pl.struct(applicationId=pl.col("resource_id"), audienceReasons=pl.lit("none"))
        ),
        sessionId=_s("session_id"),
        appOwnerTenantId=pl.lit("f8cdef31-a31e-4b4a-93e4-5f571e91255a"),
        resourceOwnerTenantId=pl.lit("f8cdef31-a31e-4b4a-93e4-5f571e91255a"),
    )
    if agentic:
        fields["agent"] = _agent()
    return pl.struct(**fields)


def _app_properties(tenant_id: str, category: str, agentic: bool, failed: bool, ca: str) -> pl.Expr:
    managed = category == "ManagedIdentitySignInLogs"
    fields: dict[str, pl.Expr] = dict(
        id=pl.col("id"),
        createdDateTime=pl.col("time").dt.strftime(TIME7_OFFSET),
        userId=NULL,
        appId=pl.col("app_id"),
        ipAddress=pl.col("ip"),
        status=_status(failed),
        location=_location(),
        correlationId=pl.col("correlation_id"),
    )
    if managed or agentic:
        fields["conditionalAccessStatus"] = pl.lit(ca)
        fields["appliedConditionalAccessPolicies"] = (
            _empty_list() if managed else _ca_policies(ca, True)
        )
    fields.update(
        isInteractive=pl.lit(False),
        tokenIssuerType=pl.lit("AzureAD"),
        authenticationProcessingDetails=_empty_list()
        if managed
        else pl.concat_list(
            pl.struct(key=pl.lit("Azure AD App Authentication Library"), value=pl.lit(""))
        ),
        clientCredentialType=pl.col("cred_type"),
        processingTimeInMilliseconds=pl.col("processing_ms"),
        riskDetail=pl.lit("none"),
        riskLevelAggregated=pl.lit("low"),
        riskLevelDuringSignIn=pl.lit("low"),
        riskState=pl.lit("none"),
        resourceDisplayName=pl.col("resource_name"),
        resourceId=pl.col("resource_id"),
        servicePrincipalName=_s("sp_name"),
        servicePrincipalId=_s("sp_id"),
    )
    if managed:
        fields["federatedCredentialId"] = pl.lit("")
    else:
        fields["servicePrincipalCredentialKeyId"] = _s("cred_key_id")
    fields.update(
        flaggedForReview=pl.lit(False),
        isTenantRestricted=pl.lit(False),
        crossTenantAccessType=pl.lit("none"),
        uniqueTokenIdentifier=pl.col("token_id"),
        incomingTokenType=pl.lit("none"),
        authenticationProtocol=pl.lit("none"),
        appServicePrincipalId=NULL,
        resourceServicePrincipalId=pl.lit("e2591b6e-1b84-497c-b3ad-46a7c025472c"),
        signInTokenProtectionStatus=pl.lit("none"),
        originalTransferMethod=pl.lit("none"),
        isThroughGlobalSecureAccess=pl.lit(False),
    )
    if managed:
        fields["conditionalAccessAudiences"] = _empty_list()
    if agentic:
        fields["agent"] = _agent()
    return pl.struct(**fields)


USER_CATEGORIES = ("SignInLogs", "NonInteractiveUserSignInLogs")


def signin_json(signins: pl.DataFrame, tenant_id: str, *, eventhub: bool = False) -> pl.DataFrame:
    """Columns ``time``, ``category``, ``json``: one Entra sign-in record per row."""
    if signins.is_empty():
        return pl.DataFrame(
            schema={"time": pl.Datetime("us"), "category": pl.String, "json": pl.String}
        )
    keyed = signins.with_columns(
        (pl.col("agent_type").is_not_null()).alias("_agentic"),
        (pl.col("error_code") != 0).alias("_failed"),
    )
    out = []
    for (category, agentic, failed, ca), part in keyed.group_by(
        ["category", "_agentic", "_failed", "ca_status"], maintain_order=True
    ):
        user = category in USER_CATEGORIES
        props = (
            _user_properties(tenant_id, agentic, failed, ca)
            if user
            else _app_properties(tenant_id, category, agentic, failed, ca)
        )
        env: dict[str, pl.Expr] = dict(
            time=_envelope_time(),
            resourceId=pl.lit(f"/tenants/{tenant_id}/providers/Microsoft.aadiam"),
            operationName=pl.lit("Sign-in activity"),
            operationVersion=pl.lit("1.0"),
            category=pl.lit(category),
            tenantId=pl.lit(tenant_id),
            resultType=pl.col("error_code").cast(pl.String),
            resultSignature=pl.lit("FAILURE" if failed else "SUCCESS"),
        )
        if failed:
            env["resultDescription"] = _s("failure_reason")
        env.update(durationMs=pl.lit(0))
        if category != "ManagedIdentitySignInLogs":
            env["callerIpAddress"] = pl.col("ip")
        env["correlationId"] = pl.col("correlation_id")
        if user:
            env["identity"] = _s("identity")
        env["Level"] = pl.lit("4") if eventhub else pl.lit(4)
        if category != "ManagedIdentitySignInLogs":
            env["location"] = _s("country")
        env["properties"] = props
        out.append(
            part.select(
                "time",
                pl.lit(category).alias("category"),
                _fix(pl.struct(**env).struct.json_encode()).alias("json"),
            )
        )
    return pl.concat(out)


def graph_json(graph: pl.DataFrame, tenant_id: str, *, eventhub: bool = False) -> pl.DataFrame:
    """Columns ``time``, ``category``, ``json``: MicrosoftGraphActivityLogs records."""
    if graph.is_empty():
        return pl.DataFrame(
            schema={"time": pl.Datetime("us"), "category": pl.String, "json": pl.String}
        )
    ticks = pl.col("time").cast(pl.Int64) * 10 + 621_355_968_000_000_000
    stamp = pl.col("time").dt.strftime(TIME7)
    props = pl.struct(
        __UDI_RequiredFields_TenantId=pl.lit(tenant_id),
        __UDI_RequiredFields_UniqueId=pl.col("request_id"),
        __UDI_RequiredFields_EventTime=ticks,
        __UDI_RequiredFields_RegionScope=pl.lit("EU"),
        timeGenerated=stamp,
        location=pl.col("region"),
        requestId=pl.col("request_id"),
        operationId=pl.col("request_id"),
        clientRequestId=pl.col("client_request_id"),
        apiVersion=pl.col("api_version"),
        requestMethod=pl.col("method"),
        responseStatusCode=pl.col("status"),
        tenantId=pl.lit(tenant_id),
        durationMs=pl.col("duration_ms"),
        responseSizeBytes=pl.col("size"),
        signInActivityId=pl.col("sign_in_id"),
        roles=pl.col("roles"),
        appId=pl.col("app_id"),
        UserPrincipalObjectID=pl.coalesce(pl.col("user_id"), pl.col("sp_id")),
        userId=pl.col("user_id"),
        scopes=pl.col("scopes"),
        identityProvider=pl.lit(f"https://sts.windows.net/{tenant_id}/"),
        clientAuthMethod=pl.col("client_auth_method"),
        wids=pl.lit("0997a1d0-0d1d-4acb-b408-d5ca73121e90"),
        C_Idtyp=pl.col("idtyp"),
        C_Iat=(pl.col("token_issued_at").cast(pl.Int64) // 1_000_000).cast(pl.String),
        ipAddress=pl.col("ip"),
        userAgent=_s("user_agent"),
        requestUri=pl.col("uri"),
        atContentP=pl.lit(""),
        atContentH=pl.lit(""),
        C_Sid=_s("session_id"),
        C_DeviceId=_s("device_id"),
        servicePrincipalId=pl.col("sp_id"),
        tokenIssuedAt=pl.col("token_issued_at").dt.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
    )
    env = pl.struct(
        time=stamp,
        resourceId=pl.lit(f"/TENANTS/{tenant_id.upper()}/PROVIDERS/MICROSOFT.AADIAM"),
        operationName=pl.lit("Microsoft Graph Activity"),
        operationVersion=pl.col("api_version"),
        category=pl.lit("MicrosoftGraphActivityLogs"),
        resultSignature=pl.col("status").cast(pl.String),
        durationMs=pl.col("duration_ms") if eventhub else pl.col("duration_ms").cast(pl.String),
        callerIpAddress=pl.col("ip"),
        correlationId=pl.col("request_id"),
        **({"Level": pl.lit(4)} if eventhub else {"level": pl.lit("Informational")}),
        location=pl.col("region"),
        properties=props,
        tenantId=pl.lit(tenant_id),
    )
    return graph.select(
        "time",
        pl.lit("MicrosoftGraphActivityLogs").alias("category"),
        env.struct.json_encode().alias("json"),
    )


def _iso7(value: Any) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def _targets(row: dict, mods: list[dict]) -> list[dict]:
    """targetResources: the row's own target (with ``agentType`` when the row names one), then
    any further targets the row carries (Entitlement Management names several per event)."""
    first = {
        "id": row["target_id"],
        "displayName": row["target_name"],
        "type": row["target_type"],
        "userPrincipalName": row["target_upn"],
    }
    if row.get("target_agent_type"):
        first["agentType"] = row["target_agent_type"]
    first.update(modifiedProperties=mods, administrativeUnits=[])
    return [first] + (json.loads(row["extra_targets"]) if row.get("extra_targets") else [])


def audit_records(
    audits: pl.DataFrame, tenant_id: str, *, eventhub: bool = False
) -> list[tuple[Any, str, dict]]:
    """AuditLogs records as (time, category, record dict); a few per agent and day."""
    out = []
    for row in audits.iter_rows(named=True):
        if row["init_kind"] == "user":
            initiated = {
                "user": {
                    "id": row["init_id"],
                    "displayName": row["init_name"],
                    "userPrincipalName": row["init_upn"],
                    "ipAddress": row["init_ip"] or "",
                    "roles": [],
                }
            }
        else:
            initiated = {
                "app": {
                    "appId": row["init_app_id"],
                    "displayName": row["init_name"],
                    "servicePrincipalId": row["init_id"],
                    "servicePrincipalName": None,
                }
            }
        mods = [
            {"displayName": n, "oldValue": o, "newValue": v}
            for n, o, v in zip(
                row["mod_names"] or [], row["mod_old"] or [], row["mod_new"] or [], strict=True
            )
        ]
        props = {
            "tenantId": tenant_id,
            "resultType": "",
            "resultDescription": "",
            "operationName": row["activity"],
            "identity": row["init_name"],
            "tenantGeo": "EU",
            "id": row["id"],
            "category": row["category"],
            "correlationId": row["correlation_id"],
            "result": row["result"],
            "resultReason": "",
            "activityDisplayName": row["activity"],
            "activityDateTime": _iso7(row["time"]) + "+00:00",
            "loggedByService": row["logged_by"],
            "operationType": row["operation_type"],
            "userAgent": None,
            "initiatedBy": initiated,
            "targetResources": _targets(row, mods),
            "additionalDetails": [
                {"key": k, "value": v}
                for k, v in zip(row["detail_keys"] or [], row["detail_values"] or [], strict=True)
            ],
        }
        record = {
            "time": _iso7(row["time"]) + "Z",
            "resourceId": f"/tenants/{tenant_id}/providers/Microsoft.aadiam",
            "operationName": row["activity"],
            "operationVersion": "1.0",
            "category": "AuditLogs",
            "tenantId": tenant_id,
            "resultSignature": "None",
            "durationMs": 0,
            "callerIpAddress": row["init_ip"] or "",
            "correlationId": row["correlation_id"],
            "identity": row["init_name"],
            **({"level": "Informational"} if eventhub else {"Level": 4}),
            "properties": props,
        }
        out.append((row["time"], "AuditLogs", record))
    return out


def audit_json(audits: pl.DataFrame, tenant_id: str, *, eventhub: bool = False) -> pl.DataFrame:
    recs = audit_records(audits, tenant_id, eventhub=eventhub)
    return pl.DataFrame(
        {
            "time": [r[0] for r in recs],
            "category": [r[1] for r in recs],
            "json": [json.dumps(r[2], separators=(",", ":")) for r in recs],
        },
        schema={"time": pl.Datetime("us"), "category": pl.String, "json": pl.String},
    )


def m365_records(m365: pl.DataFrame, tenant_id: str) -> list[dict]:
    """Microsoft 365 unified audit records (Management Activity API schema)."""
    out = []
    for row in m365.iter_rows(named=True):
        common = {
            "CreationTime": row["time"].strftime("%Y-%m-%dT%H:%M:%S"),
            "Id": row["id"],
            "Operation": row["operation"],
            "OrganizationId": tenant_id,
        }
        if row["operation"] == "FileAccessed":
            rec = {
                **common,
                "RecordType": 6,
                "UserKey": row["user_key"],
                "UserType": 5,
                "Version": 1,
                "Workload": "SharePoint",
                "ClientIP": row["ip"],
                "ObjectId": row["object_id"],
                "UserId": row["user_id"],
                "ApplicationId": row["app_id"],
                "ApplicationDisplayName": row["app_name"],
                "AppAccessContext": {
                    "ClientAppId": row["app_id"],
                    "ClientAppName": row["app_name"],
                },
                "EventSource": "SharePoint",
                "ItemType": "File",
                "ListItemUniqueId": row["id"][::-1],
                "Site": row["mailbox_guid"],
                "UserAgent": row["user_agent"],
                "SiteUrl": row["site_url"],
                "SourceFileExtension": row["file_name"].rsplit(".", 1)[-1],
                "SourceFileName": row["file_name"],
                "SourceRelativeUrl": row["folder"],
            }
        else:
            rec = {
                **common,
                "RecordType": 50,
                "ResultStatus": "Succeeded",
                "UserKey": row["user_key"],
                "UserType": 0,
                "Version": 1,
                "Workload": "Exchange",
                "ClientIP": row["ip"],
                "UserId": row["user_id"],
                "AppId": row["app_id"],
                "ClientAppId": row["app_id"],
                "ClientIPAddress": row["ip"],
                "ClientInfoString": "Client=REST;Client=RESTSystem;",
                "ExternalAccess": False,
                "InternalLogonType": 0,
                "LogonType": 0,
                "LogonUserSid": "S-1-5-21-" + row["user_key"][-10:],
                "MailboxGuid": row["mailbox_guid"],
                "MailboxOwnerUPN": row["mailbox_upn"],
                "OperationProperties": [
                    {"Name": "MailAccessType", "Value": "Bind"},
                    {"Name": "IsThrottled", "Value": "False"},
                ],
                "OperationCount": row["item_count"],
                "Folders": [
                    {
                        "FolderItems": [
                            {"InternetMessageId": f"<{row['id'][:18]}@{row['folder']}>"}
                        ],
                        "Id": row["object_id"],
                        "Path": "\\Inbox",
                    }
                ],
            }
        out.append(rec)
    return out
