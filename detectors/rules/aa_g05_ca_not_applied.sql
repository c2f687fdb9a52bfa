-- AA-G05: agent sign-ins on the judged day that no Conditional Access policy covered
-- (conditionalAccessStatus notApplied), successful ones only. One row per agent: a hygiene finding.
-- Parameters: $day_start, $day_end, $history_start, $agent_kinds, $registered, $max_evidence.
WITH agent_signins AS (
    SELECT
        e.*,
        lower(replace(coalesce(s.conditional_access_status, ''), '_', '')) AS ca_status
    FROM day_events AS e
    JOIN signins AS s
      ON s.event_id = e.event_id
     AND s.date = $day
     AND s.event_time >= $day_start AND s.event_time < $day_end
    WHERE e.table_name = 'signins'
      AND e.identity_id IS NOT NULL
      -- Conditional Access is evaluated after authentication: failed sign-ins say nothing
      AND e.succeeded IS NOT false
      AND (list_contains($agent_kinds, e.identity_kind)
           OR e.registered IS true
           OR list_contains($registered, lower(e.identity_id))
           OR list_contains($registered, lower(coalesce(e.app_id, ''))))
),
uncovered AS (
    SELECT
        identity_id,
        any_value(identity_kind) AS identity_kind,
        any_value(identity_name) AS identity_name,
        any_value(app_id) AS app_id,
        any_value(blueprint) AS blueprint,
        any_value(sponsor) AS sponsor,
        any_value(kind_source) AS kind_source,
        count(*) FILTER (WHERE ca_status = 'notapplied') AS n_uncovered,
        count(*) AS n_signins,
        string_agg(DISTINCT resource, ', ' ORDER BY resource)
            FILTER (WHERE ca_status = 'notapplied') AS resources,
        min(event_time) FILTER (WHERE ca_status = 'notapplied') AS window_start,
        max(event_time) FILTER (WHERE ca_status = 'notapplied') AS window_end,
        (list(event_id ORDER BY event_time) FILTER (WHERE ca_status = 'notapplied'))
            [1:$max_evidence] AS evidence
    FROM agent_signins
    GROUP BY identity_id
    HAVING count(*) FILTER (WHERE ca_status = 'notapplied') > 0
),
covered_before AS (
    -- straight from the sign-in table (agent ids are service principal or agent user ids)
    SELECT u.identity_id, count(*) AS n_covered
    FROM signins AS s
    JOIN uncovered AS u
      ON u.identity_id = lower(coalesce(s.service_principal_id, s.user_id))
    WHERE s.date >= $history_start_day AND s.date < $day
      AND NOT s.conflicting_duplicate  -- a later version of an event counts once
      AND s.event_time >= $history_start AND s.event_time < $day_start
      AND lower(coalesce(s.conditional_access_status, '')) IN ('success', 'failure')
    GROUP BY u.identity_id
)
SELECT u.*, coalesce(c.n_covered, 0) AS n_covered_before
FROM uncovered AS u
LEFT JOIN covered_before AS c USING (identity_id)
ORDER BY u.identity_id
