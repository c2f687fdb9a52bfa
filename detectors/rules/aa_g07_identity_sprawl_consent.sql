-- AA-G07 (consent): an agent blueprint principal that entered the tenant through a user's consent
-- on the judged day: a successful 'Consent to application' whose target is a blueprint principal
-- (agentType agentIdentityBlueprintPrincipal / agenticApp, target type
-- AgentIdentityBlueprintPrincipal, or tagged AgenticApp by an audit's modifiedProperties 'Tags')
-- and whose modifiedProperties 'ConsentContext.IsAdminConsent' is False.
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
tagged_blueprints AS (
    -- principals an audit tagged AgenticApp (legacy records without agentType)
    SELECT DISTINCT lower(t.id) AS target_id
    FROM (SELECT unnest(targets) AS t FROM audits WHERE NOT conflicting_duplicate)
    WHERE contains(lower(coalesce(list_filter(coalesce(t.modified_properties, []),
              lambda m: lower(coalesce(m.name, '')) = 'tags')[1].new_value, '')), '"agenticapp"')
       OR lower(trim(coalesce(list_filter(coalesce(t.modified_properties, []),
              lambda m: lower(coalesce(m.name, '')) = 'tags')[1].new_value, ''), '[] ')) = 'agenticapp'
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
           OR lower(c.t.id) IN (SELECT target_id FROM tagged_blueprints))
)
SELECT
    u.target_id AS identity_id,
    any_value(u.t.display_name) AS identity_name,
    any_value(u.t.agent_type) IS NOT NULL AS agent_fields,
    string_agg(DISTINCT u.initiator, ', ' ORDER BY u.initiator) AS initiators,
    any_value(u.owner_tenant) AS owner_tenant,
    min(u.event_time) AS window_start,
    max(u.event_time) AS window_end,
    list(u.event_id ORDER BY u.event_time) AS evidence
FROM by_user AS u
WHERE lower(coalesce(u.is_admin_consent, '')) = 'false'
GROUP BY u.target_id
ORDER BY u.target_id
