-- AA-S03: bursts of failed sign-ins on the judged day, in two shapes:
--   burst: one identity fails >= $min_failures times within an hour, far above its own history;
--   spray: one source IP fails against >= $min_targets distinct identities in the day.
-- One row per identity (burst) or per source IP (spray, named as the identity of the row).
-- Parameters: $day, $min_failures, $min_targets,
-- $baseline_factor, $max_evidence.
WITH failed AS (
    SELECT *
    FROM day_events
    WHERE table_name = 'signins' AND succeeded IS false
),
succeeded AS (
    SELECT identity_id, ip_address, event_id, event_time
    FROM day_events
    WHERE table_name = 'signins' AND succeeded IS true
),
hourly AS (
    SELECT
        *,
        count(*) OVER (
            PARTITION BY identity_id ORDER BY event_time
            RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND CURRENT ROW) AS in_hour
    FROM failed
    WHERE identity_id IS NOT NULL
),
history AS (
    -- the most failed sign-ins on one earlier day of the look-back window
    SELECT identity_id, max(failed_signins) AS max_daily
    FROM history_days
    WHERE identity_id IN (SELECT identity_id FROM hourly WHERE in_hour >= $min_failures)
    GROUP BY identity_id
),
burst AS (
    SELECT
        h.identity_id,
        any_value(h.identity_kind) AS identity_kind,
        any_value(h.identity_name) AS identity_name,
        any_value(h.app_id) AS app_id,
        any_value(h.blueprint) AS blueprint,
        any_value(h.sponsor) AS sponsor,
        any_value(h.kind_source) AS kind_source,
        'burst' AS shape,
        count(*) AS n_failures,
        max(h.in_hour) AS max_in_hour,
        count(DISTINCT h.identity_id) AS n_targets,
        count(DISTINCT h.ip_address) AS n_sources,
        string_agg(DISTINCT h.ip_address, ', ' ORDER BY h.ip_address) AS sources,
        coalesce(any_value(b.max_daily), 0) AS baseline_daily_max,
        min(h.event_time) AS window_start,
        max(h.event_time) AS window_end,
        list(h.event_id ORDER BY h.event_time) AS failure_events
    FROM hourly AS h
    LEFT JOIN history AS b USING (identity_id)
    GROUP BY h.identity_id
    HAVING max(h.in_hour) >= $min_failures
       AND count(*) > $baseline_factor * coalesce(any_value(b.max_daily), 0)
),
spray AS (
    SELECT
        ip_address AS identity_id,
        'unknown' AS identity_kind,
        'sign-ins from ' || ip_address AS identity_name,
        CAST(NULL AS VARCHAR) AS app_id,
        CAST(NULL AS VARCHAR) AS blueprint,
        CAST(NULL AS VARCHAR) AS sponsor,
        'none' AS kind_source,
        'spray' AS shape,
        count(*) AS n_failures,
        CAST(NULL AS BIGINT) AS max_in_hour,
        count(DISTINCT identity_id) AS n_targets,
        1 AS n_sources,
        ip_address AS sources,
        CAST(0 AS BIGINT) AS baseline_daily_max,
        min(event_time) AS window_start,
        max(event_time) AS window_end,
        list(event_id ORDER BY event_time) AS failure_events
    FROM failed
    WHERE ip_address IS NOT NULL
    GROUP BY ip_address
    HAVING count(DISTINCT identity_id) >= $min_targets
),
found AS (
    SELECT * FROM burst
    UNION ALL
    SELECT * FROM spray
),
spray_targets AS (
    -- who each address failed against, once a pair (joined, not a correlated subquery: Spark
    -- runs neither a subquery in a join condition nor one beside the columns it correlates on)
    SELECT DISTINCT ip_address, identity_id FROM failed WHERE ip_address IS NOT NULL
),
target_names AS (
    SELECT ip_address,
        string_agg(DISTINCT coalesce(identity_name, identity_id), ', '
                   ORDER BY coalesce(identity_name, identity_id)) AS targets
    FROM failed
    WHERE ip_address IS NOT NULL
    GROUP BY ip_address
),
after AS (
    -- successes that follow the failures: for a burst from any of its sources, for a spray
    -- from the spraying IP against one of its targets
    SELECT f.identity_id, f.shape, list(s.event_id ORDER BY s.event_time) AS success_events,
           string_agg(DISTINCT s.identity_id, ', ' ORDER BY s.identity_id) AS compromised
    FROM found AS f
    JOIN succeeded AS s
      ON s.event_time > f.window_start
     AND ((f.shape = 'burst' AND s.identity_id = f.identity_id
           AND list_contains(string_split(f.sources, ', '), s.ip_address))
       OR (f.shape = 'spray' AND s.ip_address = f.identity_id))
    LEFT JOIN spray_targets AS st
      ON f.shape = 'spray' AND st.ip_address = f.identity_id AND st.identity_id = s.identity_id
    WHERE f.shape = 'burst' OR st.identity_id IS NOT NULL
    GROUP BY f.identity_id, f.shape
)
SELECT
    f.* EXCLUDE (failure_events),
    tn.targets,
    len(coalesce(a.success_events, [])) AS n_success_after,
    a.compromised,
    (coalesce(a.success_events, []) || f.failure_events)[1:$max_evidence] AS evidence
FROM found AS f
LEFT JOIN after AS a USING (identity_id, shape)
LEFT JOIN target_names AS tn ON f.shape = 'spray' AND tn.ip_address = f.identity_id
ORDER BY f.shape, f.identity_id
