-- sigma_auditlogs: one row per directory audit with the columns Sigma rules for
-- `product: azure, service: auditlogs` name, in Sentinel's AuditLogs spelling. The processing
-- pipeline (pipeline/sigma/fields.py) maps the Event Hub spelling (`operationName`,
-- `properties.*`, lowerCamelCase) and the rules' older aliases onto these names.
-- Every column a rule can name is text (VARCHAR) or a list of text (a value per target or per
-- modified property: a rule's value matches when any element does). `aa_*` columns are ours:
-- the event's id, time and day, and who initiated it (for the finding's identity).
CREATE OR REPLACE {temp} VIEW sigma_auditlogs AS
WITH a AS (
    SELECT
        a.*,
        coalesce(a.targets, []) AS t,
        flatten(list_transform(coalesce(a.targets, []),
            lambda x: coalesce(x.modified_properties, []))) AS mp,
        a.initiator_app_id IS NOT NULL
            OR a.initiator_kind IN ('service_principal', 'managed_identity', 'agent_identity',
                                    'agent_blueprint') AS by_app
    FROM audits a
)
SELECT
    a.event_id AS aa_event_id,
    a.event_time AS aa_event_time,
    a.date AS aa_day,
    a.conflicting_duplicate AS aa_conflicting_duplicate,
    a.initiator_id AS aa_initiator_id,
    a.initiator_kind AS aa_initiator_kind,
    a.initiator_name AS aa_initiator_name,
    a.initiator_app_id AS aa_initiator_app_id,
    a.initiator_agent_type AS aa_initiator_agent_type,
    -- additionalDetails by lower-cased key: `AdditionalDetails.<key>` reads it (fields.py)
    map_from_entries(list_transform(map_entries(coalesce(a.additional_details, MAP {})),
        lambda e: {'key': lower(e.key), 'value': e.value})) AS aa_additional_details,
    a.event_id AS "Id",
    strftime(a.event_time, '%Y-%m-%dT%H:%M:%S.%fZ') AS "ActivityDateTime",
    strftime(a.event_time, '%Y-%m-%dT%H:%M:%S.%fZ') AS "TimeGenerated",
    a.tenant_id AS "TenantId",
    a.activity AS "OperationName",
    a.activity AS "ActivityDisplayName",
    a.category AS "Category",
    a.result AS "Result",
    a.result_reason AS "ResultReason",
    a.result_reason AS "ResultDescription",
    a.logged_by_service AS "LoggedByService",
    a.operation_type AS "OperationType",
    a.operation_type AS "AADOperationType",
    a.correlation_id AS "CorrelationId",
    a.user_agent AS "UserAgent",
    a.initiator_name AS "Identity",
    CASE WHEN a.by_app
        THEN json_object('app', json_object('servicePrincipalId', a.initiator_id,
                                            'displayName', a.initiator_name,
                                            'appId', a.initiator_app_id))
        ELSE json_object('user', json_object('id', a.initiator_id,
                                             'userPrincipalName', a.initiator_name,
                                             'ipAddress', a.initiator_ip))
    END::VARCHAR AS "InitiatedBy",
    CASE WHEN NOT a.by_app THEN a.initiator_id END AS "InitiatedBy.user.id",
    CASE WHEN NOT a.by_app THEN a.initiator_name END AS "InitiatedBy.user.userPrincipalName",
    CASE WHEN NOT a.by_app THEN a.initiator_ip END AS "InitiatedBy.user.ipAddress",
    CASE WHEN a.by_app THEN a.initiator_id END AS "InitiatedBy.app.servicePrincipalId",
    CASE WHEN a.by_app THEN a.initiator_name END AS "InitiatedBy.app.displayName",
    CASE WHEN a.by_app THEN a.initiator_app_id END AS "InitiatedBy.app.appId",
    to_json(list_transform(a.t, lambda x: {
        'id': x.id, 'type': x.type, 'displayName': x.display_name,
        'userPrincipalName': x.user_principal_name,
        'modifiedProperties': list_transform(coalesce(x.modified_properties, []), lambda m: {
            'displayName': m.name, 'oldValue': m.old_value, 'newValue': m.new_value})
    }))::VARCHAR AS "TargetResources",
    list_transform(a.t, lambda x: x.id) AS "TargetResources.id",
    list_transform(a.t, lambda x: x.type) AS "TargetResources.type",
    list_transform(a.t, lambda x: x.display_name) AS "TargetResources.displayName",
    list_transform(a.t, lambda x: x.user_principal_name) AS "TargetResources.userPrincipalName",
    list_transform(a.mp, lambda m: to_json({
        'displayName': m.name, 'oldValue': m.old_value, 'newValue': m.new_value})::VARCHAR)
        AS "TargetResources.modifiedProperties",
    list_transform(a.mp, lambda m: m.name) AS "TargetResources.modifiedProperties.displayName",
    list_transform(a.mp, lambda m: m.old_value) AS "TargetResources.modifiedProperties.oldValue",
    list_transform(a.mp, lambda m: m.new_value) AS "TargetResources.modifiedProperties.newValue",
    to_json(coalesce(a.additional_details, MAP {}))::VARCHAR AS "AdditionalDetails",
    -- consent details, from the modified properties of "Consent to application"
    list_filter(a.mp, lambda m: lower(m.name) = 'consentcontext.isadminconsent')[1].new_value
        AS "ConsentContext.IsAdminConsent",
    list_filter(a.mp, lambda m: lower(m.name) = 'consentcontext.isapponly')[1].new_value
        AS "ConsentContext.IsAppOnly",
    list_filter(a.mp, lambda m: lower(m.name) = 'consentcontext.onbehalfofall')[1].new_value
        AS "ConsentContext.OnBehalfOfAll",
    list_filter(a.mp, lambda m: lower(m.name) = 'consentcontext.tags')[1].new_value
        AS "ConsentContext.Tags",
    list_filter(a.mp, lambda m: lower(m.name) = 'consentaction.permissions')[1].new_value
        AS "ConsentAction.Permissions"
FROM a
