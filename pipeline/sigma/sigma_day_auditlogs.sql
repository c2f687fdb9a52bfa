-- The judged day's audit events for the Sigma rules: the view columns they read ({columns}, our
-- quoted names) and who initiated each event, the finding's identity (Entra's agent type first,
-- then the registry, then the audit's own initiator kind). Values bound: $day.
CREATE OR REPLACE TEMP TABLE sigma_day_auditlogs AS
WITH reg AS (
    SELECT k.key, r.* FROM registry_keys k JOIN registry r ON r.id = k.agent_id
    QUALIFY row_number() OVER (PARTITION BY k.key ORDER BY r.id) = 1
)
SELECT
    v.aa_event_id,
    v.aa_event_time,
    coalesce(r.id, v.aa_initiator_id, v.aa_initiator_app_id, 'unknown') AS identity_id,
    coalesce(agent_kind(v.aa_initiator_agent_type), r.kind, v.aa_initiator_kind, 'unknown')
        AS identity_kind,
    CASE WHEN agent_kind(v.aa_initiator_agent_type) IS NOT NULL THEN 'entra_agent_fields'
         WHEN r.kind IS NOT NULL THEN 'registry'
         WHEN coalesce(v.aa_initiator_kind, 'unknown') <> 'unknown' THEN 'log_category'
         ELSE 'none' END AS kind_source,
    coalesce(v.aa_initiator_name, r.name) AS identity_name,
    lower(coalesce(v.aa_initiator_app_id, r.app_id)) AS app_id,
    r.blueprint,
    r.sponsor,
    CAST(NULL AS VARCHAR) AS on_behalf_of_id,
    v."OperationName" AS aa_what,
    {columns}
FROM sigma_auditlogs v
LEFT JOIN reg r ON r.key = lower(v.aa_initiator_id)
WHERE v.aa_day = $day AND NOT v.aa_conflicting_duplicate
