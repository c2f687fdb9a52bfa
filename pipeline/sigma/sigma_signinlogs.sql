-- sigma_signinlogs: one row per sign-in (every category) with the columns Sigma rules for
-- `product: azure, service: signinlogs` name, in Sentinel's SigninLogs spelling. The processing
-- pipeline (pipeline/sigma/fields.py) maps the Event Hub spelling (`properties.*`,
-- lowerCamelCase) and the rules' older aliases onto these names. Columns the canonical table
-- has come from it; the others are read from the original record (`raw`) in whichever shape it
-- was exported (sigma_macros.sql). Every column a rule can name is text; `aa_*` are ours.
CREATE OR REPLACE {temp} VIEW sigma_signinlogs AS
SELECT
    s.event_id AS aa_event_id,
    s.event_time AS aa_event_time,
    s.date AS aa_day,
    s.conflicting_duplicate AS aa_conflicting_duplicate,
    s.event_id AS "Id",
    strftime(s.event_time, '%Y-%m-%dT%H:%M:%S.%fZ') AS "CreatedDateTime",
    strftime(s.event_time, '%Y-%m-%dT%H:%M:%S.%fZ') AS "TimeGenerated",
    s.tenant_id AS "TenantId",
    -- the diagnostic category (SignInLogs, NonInteractiveUserSignInLogs, …) whichever export
    -- the event came in: Sentinel's table names (SigninLogs, AADNonInteractiveUserSignInLogs)
    -- say the same with another spelling
    CASE WHEN lower(s.log_category) = 'signinlogs' THEN 'SignInLogs'
         WHEN s.log_category ILIKE 'aad%signinlogs' THEN substr(s.log_category, 4)
         ELSE s.log_category END AS "Category",
    CAST(s.error_code AS VARCHAR) AS "ResultType",
    s.failure_reason AS "ResultDescription",
    CASE WHEN s.error_code = 0 OR (s.error_code IS NULL AND s.succeeded) THEN 'SUCCESS'
         WHEN s.error_code IS NOT NULL OR s.succeeded = false THEN 'FAILURE' END
        AS "ResultSignature",
    -- Sentinel's Status, as text: Success, else Failure with the reason and the details
    CASE WHEN s.error_code = 0 OR (s.error_code IS NULL AND s.succeeded) THEN 'Success'
         WHEN s.error_code IS NOT NULL OR s.succeeded = false THEN concat_ws('; ', 'Failure',
             s.failure_reason, sigma_raw_in(s.raw, 'status.additionalDetails', 'Status',
                                            'additionalDetails')) END AS "Status",
    CAST(s.error_code AS VARCHAR) AS "Status.errorCode",
    s.failure_reason AS "Status.failureReason",
    sigma_raw_in(s.raw, 'status.additionalDetails', 'Status', 'additionalDetails')
        AS "Status.additionalDetails",
    s.user_principal_name AS "UserPrincipalName",
    s.user_display_name AS "UserDisplayName",
    s.user_id AS "UserId",
    s.user_type AS "UserType",
    coalesce(s.user_display_name, s.service_principal_name, s.app_display_name) AS "Identity",
    s.app_id AS "AppId",
    s.app_display_name AS "AppDisplayName",
    s.service_principal_id AS "ServicePrincipalId",
    s.service_principal_name AS "ServicePrincipalName",
    s.resource_display_name AS "ResourceDisplayName",
    s.resource_id AS "ResourceIdentity",
    s.ip_address AS "IPAddress",
    CAST(s.autonomous_system_number AS VARCHAR) AS "AutonomousSystemNumber",
    s.country AS "Location",
    s.country AS "LocationDetails.countryOrRegion",
    s.state AS "LocationDetails.state",
    s.city AS "LocationDetails.city",
    s.user_agent AS "UserAgent",
    s.client_app_used AS "ClientAppUsed",
    s.device_id AS "DeviceDetail.deviceId",
    sigma_raw_in(s.raw, 'deviceDetail.displayName', 'DeviceDetail', 'displayName')
        AS "DeviceDetail.displayName",
    s.device_os AS "DeviceDetail.operatingSystem",
    s.device_browser AS "DeviceDetail.browser",
    CAST(s.device_is_compliant AS VARCHAR) AS "DeviceDetail.isCompliant",
    CAST(s.device_is_managed AS VARCHAR) AS "DeviceDetail.isManaged",
    sigma_raw_in(s.raw, 'deviceDetail.trustType', 'DeviceDetail', 'trustType')
        AS "DeviceDetail.trustType",
    CAST(s.is_interactive AS VARCHAR) AS "IsInteractive",
    s.conditional_access_status AS "ConditionalAccessStatus",
    sigma_raw_json(s.raw, 'appliedConditionalAccessPolicies', 'ConditionalAccessPolicies')
        AS "ConditionalAccessPolicies",
    s.risk_level AS "RiskLevelDuringSignIn",
    sigma_raw(s.raw, 'riskLevelAggregated', 'RiskLevelAggregated') AS "RiskLevelAggregated",
    s.risk_state AS "RiskState",
    sigma_raw(s.raw, 'riskDetail', 'RiskDetail') AS "RiskDetail",
    sigma_raw(s.raw, 'authenticationRequirement', 'AuthenticationRequirement')
        AS "AuthenticationRequirement",
    sigma_raw_json(s.raw, 'authenticationDetails', 'AuthenticationDetails')
        AS "AuthenticationDetails",
    sigma_raw_json(s.raw, 'networkLocationDetails', 'NetworkLocationDetails')
        AS "NetworkLocationDetails",
    sigma_raw(s.raw, 'tokenIssuerType', 'TokenIssuerType') AS "TokenIssuerType",
    sigma_raw(s.raw, 'crossTenantAccessType', 'CrossTenantAccessType') AS "CrossTenantAccessType",
    sigma_raw(s.raw, 'homeTenantId', 'HomeTenantId') AS "HomeTenantId",
    sigma_raw(s.raw, 'resourceTenantId', 'ResourceTenantId') AS "ResourceTenantId",
    s.client_credential_type AS "ClientCredentialType",
    s.credential_key_id AS "ServicePrincipalCredentialKeyId",
    s.authentication_protocol AS "AuthenticationProtocol",
    -- the protocol as the admin center names it ("Device Code", "ROPC"): SigmaHQ's rules match
    -- these names under `properties.message`
    CASE lower(s.authentication_protocol)
        WHEN 'devicecode' THEN 'Device Code'
        WHEN 'ropc' THEN 'ROPC'
        WHEN 'oauth2' THEN 'OAuth 2.0'
        WHEN 'saml20' THEN 'SAML 2.0'
        WHEN 'wsfederation' THEN 'WS-Federation'
        WHEN 'authenticationtransfer' THEN 'Authentication Transfer'
        WHEN 'none' THEN 'None'
        ELSE s.authentication_protocol
    END AS "AuthenticationProtocolName",
    s.incoming_token_type AS "IncomingTokenType",
    s.correlation_id AS "CorrelationId",
    s.unique_token_id AS "UniqueTokenIdentifier",
    s.session_id AS "SessionId",
    s.agent_type AS "Agent.agentType",
    s.agent_subject_type AS "Agent.agentSubjectType",
    s.agent_parent_app_id AS "Agent.agentParentAppId"
FROM signins s
