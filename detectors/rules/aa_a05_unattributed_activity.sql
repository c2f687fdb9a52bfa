-- AA-A05: activity on the judged day that cannot be tied to a sign-in or an identity:
--   orphan token: a Graph call whose signInActivityId matches no sign-in's unique token id,
--                 although sign-ins of the call's kind (service principal sign-ins for an app
--                 token, user sign-ins for a delegated one) were collected for the whole time
--                 the token could live ($token_hours before the call: about 24 hours, longer
--                 with continuous access evaluation) and for $delay_hours after it (sign-in
--                 logs arrive late; a call whose sign-ins may still be on their way is not
--                 judged);
--   no actor:     an event with no identity at all.
-- One row per identity ('unknown' for events without one).
-- Parameters: $day, $day_start, $day_end, $coverage_start (day_start minus $token_hours),
-- $coverage_start_day, $coverage_end (day_end plus $delay_hours), $coverage_end_day,
-- $token_hours, $delay_hours, $min_events, $max_evidence.
WITH coverage AS (
    SELECT
        CASE WHEN log_type IN ('service_principal', 'managed_identity') THEN 'app'
             ELSE 'delegated' END AS token_type,
        min(event_time) AS first_signin,
        max(event_time) AS last_signin
    FROM signins
    WHERE date >= $coverage_start_day AND date <= $coverage_end_day
      AND event_time >= $coverage_start AND event_time < $coverage_end
    GROUP BY 1
),
calls AS (
    SELECT e.*, a.sign_in_activity_id, coalesce(a.token_type, 'app') AS call_token_type
    FROM day_events AS e
    JOIN activity AS a
      ON a.event_id = e.event_id AND a.date = $day
     AND a.event_time >= $day_start AND a.event_time < $day_end
    WHERE e.table_name = 'activity'
),
orphans AS (
    SELECT c.*, 'orphan_token' AS gap
    FROM calls AS c
    JOIN coverage AS v ON v.token_type = c.call_token_type
    WHERE token_key(c.sign_in_activity_id) IS NOT NULL  -- a malformed id links to nothing
      AND c.event_time >= v.first_signin + to_hours(CAST($token_hours AS BIGINT))
      AND c.event_time + to_hours(CAST($delay_hours AS BIGINT)) <= v.last_signin
      AND NOT EXISTS (
        SELECT 1 FROM signins AS s
        WHERE token_key(s.unique_token_id) = token_key(c.sign_in_activity_id)
          AND s.date >= $coverage_start_day AND s.date <= $coverage_end_day
          AND s.event_time >= $coverage_start AND s.event_time < $coverage_end)
),
actorless AS (
    SELECT e.*, CAST(NULL AS VARCHAR) AS sign_in_activity_id, CAST(NULL AS VARCHAR) AS call_token_type,
        'no_actor' AS gap
    FROM day_events AS e
    WHERE e.identity_id IS NULL
       OR (e.identity_kind = 'unknown' AND e.app_id IS NULL AND e.on_behalf_of_id IS NULL)
),
gaps AS (
    -- both sides are the day's event columns, then sign_in_activity_id, call_token_type, gap (in
    -- that order: a plain UNION ALL, which Spark runs too)
    SELECT * FROM orphans
    UNION ALL
    SELECT * FROM actorless
)
SELECT
    coalesce(identity_id, 'unknown') AS identity_id,
    coalesce(any_value(identity_kind), 'unknown') AS identity_kind,
    any_value(identity_name) AS identity_name,
    any_value(app_id) AS app_id,
    any_value(blueprint) AS blueprint,
    any_value(sponsor) AS sponsor,
    coalesce(any_value(kind_source), 'none') AS kind_source,
    string_agg(DISTINCT gap, ', ' ORDER BY gap) AS gaps,
    count(*) AS n_events,
    count(*) FILTER (WHERE gap = 'orphan_token') AS n_orphans,
    count(DISTINCT sign_in_activity_id) AS n_tokens,
    count(*) FILTER (WHERE gap = 'no_actor') AS n_actorless,
    count(*) FILTER (WHERE sensitivity IS NOT NULL) AS n_sensitive,
    string_agg(DISTINCT resource, ', ' ORDER BY resource) AS resources,
    string_agg(DISTINCT ip_address, ', ' ORDER BY ip_address) AS ips,
    min(event_time) AS window_start,
    max(event_time) AS window_end,
    list(event_id ORDER BY event_time)[1:$max_evidence] AS evidence
FROM gaps
GROUP BY coalesce(identity_id, 'unknown')
HAVING count(*) >= $min_events
ORDER BY identity_id
