-- AA-G01: credentials added to an agent, a blueprint / application, a service principal (or an
-- application password to a user) on the judged day. One row per credential holder, with whether
-- the holder then signed in from a place (IP and network) new to it.
-- An app registration (Application target) and its service principal are one identity: the row
-- carries the app id app_links ties them by, and whether a person made the change from a
-- scripted client (PowerShell, the Azure CLI, an SDK or a raw HTTP library).
-- Parameters: $day_start, $day_end, $activity_pattern (regex over the lower-cased activity name),
-- $scripted_pattern (regex over the lower-cased user agent),
-- $owner_pairs ('<agent id>|<owner or sponsor>' lower-cased), $max_evidence.
WITH changes AS (
    SELECT
        a.event_id,
        a.event_time,
        a.activity,
        a.initiator_kind,
        coalesce(a.initiator_name, a.initiator_id, a.initiator_app_id) AS initiator,
        a.initiator_id,
        a.initiator_app_id,
        a.initiator_kind IN ('human', 'guest')
            AND regexp_matches(lower(coalesce(a.user_agent, '')), $scripted_pattern) AS scripted,
        a.user_agent,
        a.additional_details['AppId'] AS said_app_id,
        list_filter(a.targets, lambda t: t.id IS NOT NULL)[1] AS target
    FROM audits AS a
    WHERE a.date = $day
      AND NOT a.conflicting_duplicate  -- a later version of an event counts once
      AND a.event_time >= $day_start
      AND a.event_time < $day_end
      AND regexp_matches(lower(coalesce(a.activity, '')), $activity_pattern)
      AND NOT regexp_matches(lower(coalesce(a.activity, '')), '^\s*(remove|delete)')
      AND lower(coalesce(a.result, 'success')) IN ('success', '')
),
held AS (
    SELECT
        *,
        lower(target.id) AS target_id,
        lower(coalesce(target.type, '')) AS target_type,
        list_contains($owner_pairs, lower(target.id) || '|' || lower(coalesce(initiator, '')))
            OR list_contains($owner_pairs,
                lower(target.id) || '|' || lower(coalesce(initiator_id, ''))) AS by_owner,
        lower(coalesce(initiator_id, '')) = lower(target.id)
            OR lower(coalesce(initiator_app_id, '')) = lower(target.id) AS by_itself
    FROM changes
    WHERE target.id IS NOT NULL
),
first_change AS (
    SELECT
        h.target_id,
        min(h.event_time) AS t0,
        coalesce(lower(any_value(h.said_app_id)), any_value(ao.app_id)) AS app_id
    FROM held AS h
    LEFT JOIN app_of_object AS ao ON ao.object_id = h.target_id
    GROUP BY h.target_id
),
linked_principal AS (
    -- the service principal of the holder's app, when the holder is not it (joined: Spark runs
    -- no subquery over a grouped query's aggregates)
    SELECT f.target_id, any_value(p.sp_id) AS sp_id
    FROM first_change AS f
    JOIN principal_of_app AS p ON p.app_id = f.app_id AND p.sp_id <> f.target_id
    GROUP BY f.target_id
),
later_signins AS (
    SELECT f.target_id, e.*
    FROM day_events AS e
    JOIN first_change AS f
      ON (e.identity_id = f.target_id OR e.app_id = f.target_id OR lower(e.app_id) = f.app_id)
     AND e.event_time >= f.t0
    WHERE e.table_name = 'signins' AND e.succeeded IS NOT false
),
known AS (
    SELECT DISTINCT identity_id FROM history_values
),
new_place AS (
    SELECT s.target_id, s.event_id, s.event_time, s.ip_address, s.country
    FROM later_signins AS s
    JOIN known AS k ON k.identity_id = s.identity_id
    WHERE s.ip_address IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM history_values AS h
        WHERE h.identity_id = s.identity_id AND h.dimension = 'ip' AND h.value = s.ip_address)
      AND (s.asn IS NULL OR NOT EXISTS (
        SELECT 1 FROM history_values AS h
        WHERE h.identity_id = s.identity_id AND h.dimension = 'asn'
          AND h.value = CAST(s.asn AS VARCHAR)))
),
new_place_per_target AS (
    SELECT
        target_id,
        count(*) AS n_new_place,
        string_agg(DISTINCT ip_address, ', ' ORDER BY ip_address) AS new_ips,
        string_agg(DISTINCT country, ', ' ORDER BY country) AS new_countries,
        list(event_id ORDER BY event_time) AS new_place_events,
        max(event_time) AS last_use
    FROM new_place
    GROUP BY target_id
)
SELECT
    h.target_id AS identity_id,
    any_value(h.target.display_name) AS identity_name,
    any_value(h.target.agent_type) AS target_agent_type,
    any_value(h.target_type) AS target_type,
    count(*) AS n_changes,
    string_agg(DISTINCT h.activity, '; ' ORDER BY h.activity) AS activities,
    string_agg(DISTINCT h.initiator, ', ' ORDER BY h.initiator) AS initiators,
    bool_and(h.by_owner) AS all_by_owner,
    bool_or(h.by_itself) AS any_by_itself,
    bool_or(h.scripted) AS any_scripted,
    string_agg(DISTINCT h.user_agent, '; ' ORDER BY h.user_agent) FILTER (WHERE h.scripted)
        AS scripted_clients,
    any_value(f.app_id) AS linked_app_id,
    any_value(l.sp_id) AS linked_sp_id,
    coalesce(any_value(n.n_new_place), 0) AS n_new_place,
    any_value(n.new_ips) AS new_ips,
    any_value(n.new_countries) AS new_countries,
    min(h.event_time) AS window_start,
    greatest(max(h.event_time), coalesce(any_value(n.last_use), max(h.event_time))) AS window_end,
    (list(h.event_id ORDER BY h.event_time)
        || coalesce(any_value(n.new_place_events), []))[1:$max_evidence] AS evidence
FROM held AS h
LEFT JOIN new_place_per_target AS n USING (target_id)
LEFT JOIN first_change AS f USING (target_id)
LEFT JOIN linked_principal AS l USING (target_id)
GROUP BY h.target_id
ORDER BY h.target_id
