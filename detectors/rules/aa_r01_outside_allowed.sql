-- AA-R01: what each registered agent touched (or tried to) on the judged day, one row per
-- distinct (agent, resource, resource id, resource path), with how often the agent touched the
-- same resource before (history_values) and how much history the agent and the tenant have.
-- Microsoft 365 audit records (no Graph resource id) name their workload instead of a path.
-- $keys: the registered agents' object ids and app ids, lower case.
WITH today AS (
    SELECT
        identity_id,
        any_value(identity_kind) AS identity_kind,
        any_value(identity_name) AS identity_name,
        any_value(app_id) AS app_id,
        any_value(blueprint) AS blueprint,
        any_value(sponsor) AS sponsor,
        any_value(kind_source) AS kind_source,
        any_value(on_behalf_of_id) AS on_behalf_of_id,
        resource AS value,
        CASE WHEN table_name = 'activity' AND resource_id IS NULL
             THEN CASE WHEN operation ILIKE 'mail%' THEN 'Office 365 Exchange Online'
                       ELSE 'Office 365 SharePoint Online' END
             ELSE resource END AS resource,
        resource_id,
        CASE WHEN table_name = 'activity' AND resource_id IS NULL THEN NULL
             ELSE resource_path END AS resource_path,
        max(sensitivity) AS sensitivity,
        count(*) AS requests,
        count(*) FILTER (WHERE coalesce(succeeded, true)) AS succeeded_requests,
        min(event_time) AS window_start,
        max(event_time) AS window_end,
        array_slice(list(event_id ORDER BY event_time), 1, 200) AS evidence
    FROM day_events
    WHERE day = $day
      AND (identity_id IN (SELECT unnest($keys)) OR app_id IN (SELECT unnest($keys)))
    GROUP BY ALL
),
seen AS (
    SELECT identity_id, value, days_seen AS seen_days
    FROM history_values
    WHERE dimension = 'resource' AND identity_id IN (SELECT identity_id FROM today)
)
SELECT
    t.*,
    coalesce(s.seen_days, 0) AS seen_days,
    coalesce(o.days_active, 0) AS history_days,
    (SELECT count(DISTINCT day) FROM history_days) AS tenant_days
FROM today t
LEFT JOIN seen s ON s.identity_id = t.identity_id AND s.value = t.value
LEFT JOIN history_identities o ON o.identity_id = t.identity_id
ORDER BY t.identity_id, t.resource, t.resource_path
