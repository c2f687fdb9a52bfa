-- AA-G07 (consent): an agent blueprint principal that entered the tenant through a user's consent
-- on the judged day: a successful 'Consent to application' whose target is a blueprint principal
-- (agentType agentIdentityBlueprintPrincipal / agenticApp, target type
-- AgentIdentityBlueprintPrincipal, or an identity creation_channels types agent_blueprint, e.g.
-- by its AgenticApp tag) and whose modifiedProperties 'ConsentContext.IsAdminConsent' is False.
-- A consent without that property says nothing here (AA-G02 still reports the grant).
-- Parameters: $day, $day_start, $day_end. One row per blueprint principal.
WITH consents AS (
    SELECT
        a.event_id, a.event_time, a.initiator_kind,
        coalesce(a.initiator_name, a.initiator_id, a.initiator_app_id) AS initiator,
        unnest(a.targets) AS t
    FROM audits AS a
    WHERE a.date = $day
      AND a.event_time >= $day_start AND a.event_time < $day_end
      AND NOT a.conflicting_duplicate
      AND lower(coalesce(a.result, 'success')) IN ('success', '')
      AND lower(coalesce(a.activity, '')) LIKE 'consent to application%'
),
by_user AS (
    SELECT
        c.*,
        lower(c.t.id) AS target_id,
        prop_value(coalesce(c.t.modified_properties, []), 'consentcontext.isadminconsent')
            AS is_admin_consent,
        prop_value(coalesce(c.t.modified_properties, []), 'appownerorganizationid')
            AS owner_tenant
    FROM consents AS c
    WHERE c.t.id IS NOT NULL
      AND (coalesce(agent_kind(c.t.agent_type),
                    agent_kind(replace(coalesce(c.t.type, ''), ' ', ''))) = 'agent_blueprint'
           OR EXISTS (SELECT 1 FROM creation_channels AS cc
                      WHERE cc.identity_id = lower(c.t.id)
                        AND cc.identity_kind = 'agent_blueprint'))
)
SELECT
    u.target_id AS identity_id,
    'agent_blueprint' AS identity_kind,
    CASE WHEN any_value(u.t.agent_type) IS NOT NULL THEN 'entra_agent_fields'
         ELSE coalesce(any_value(i.kind_source), 'none') END AS kind_source,
    coalesce(any_value(u.t.display_name), any_value(i.name)) AS identity_name,
    any_value(i.app_id) AS app_id,
    any_value(i.blueprint) AS blueprint,
    any_value(i.sponsor) AS sponsor,
    string_agg(DISTINCT u.initiator, ', ') AS initiators,
    any_value(u.owner_tenant) AS owner_tenant,
    min(u.event_time) AS window_start,
    max(u.event_time) AS window_end,
    list(u.event_id ORDER BY u.event_time) AS evidence
FROM by_user AS u
LEFT JOIN identities AS i ON i.identity_id = u.target_id
WHERE lower(coalesce(u.is_admin_consent, '')) = 'false'
GROUP BY u.target_id
ORDER BY u.target_id
