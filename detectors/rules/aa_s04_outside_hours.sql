-- AA-S04: activity on the judged day outside the identity's declared hours (registry
-- active_hours, UTC) or, for established identities, in hours of the day it never used in its
-- history (neither that hour nor the hours either side). One row per identity.
-- Parameters: $keys, $starts, $ends (registered agents' keys and active_hours as minutes after
-- midnight UTC, end exclusive), $grace_minutes (tolerance around the declared window),
-- $min_events, $min_history_events, $max_evidence.
WITH usual AS (
    SELECT identity_id, CAST(value AS INTEGER) % 24 AS hour_of_day, sum(events) AS events
    FROM history_values
    WHERE dimension = 'hour_of_week'
    GROUP BY ALL
),
usual_per_identity AS (
    SELECT
        identity_id,
        list(hour_of_day ORDER BY hour_of_day) AS hours,
        sum(events) AS events
    FROM usual
    GROUP BY identity_id
),
established AS (
    SELECT identity_id FROM learning_state WHERE state = 'established'
),
declared AS (
    -- each identity's position in the declared-hours lists, looked up once per identity and app
    SELECT
        identity_id,
        app_id,
        coalesce(nullif(list_position($keys, lower(identity_id)), 0),
                 nullif(list_position($keys, lower(coalesce(app_id, ''))), 0)) AS declared_at
    FROM (SELECT DISTINCT identity_id, app_id FROM day_events WHERE identity_id IS NOT NULL)
),
judged AS (
    SELECT
        e.*,
        d.declared_at,
        hour(e.event_time AT TIME ZONE 'UTC') * 60 + minute(e.event_time AT TIME ZONE 'UTC')
            AS minute_of_day,
        u.hours AS usual_hours,
        u.events AS history_events,
        x.identity_id IS NOT NULL AS is_established
    FROM day_events AS e
    LEFT JOIN declared AS d
      ON d.identity_id = e.identity_id AND d.app_id IS NOT DISTINCT FROM e.app_id
    LEFT JOIN usual_per_identity AS u ON u.identity_id = e.identity_id
    LEFT JOIN established AS x ON x.identity_id = e.identity_id
    WHERE e.identity_id IS NOT NULL
),
declared_distance AS (
    -- minutes outside the declared window (0 inside it; windows may wrap midnight)
    SELECT
        *,
        CASE
            WHEN declared_at IS NULL THEN NULL
            WHEN CASE WHEN $starts[declared_at] <= $ends[declared_at]
                      THEN minute_of_day >= $starts[declared_at]
                           AND minute_of_day < $ends[declared_at]
                      ELSE minute_of_day >= $starts[declared_at]
                           OR minute_of_day < $ends[declared_at] END
                THEN 0
            ELSE least((($starts[declared_at] - minute_of_day) + 1440) % 1440,
                       ((minute_of_day - $ends[declared_at]) + 1441) % 1440)
        END AS minutes_outside
    FROM judged
),
flagged AS (
    SELECT
        *,
        coalesce(minutes_outside > $grace_minutes, false) AS outside_declared,
        declared_at IS NULL AND is_established AND history_events >= $min_history_events
            AND NOT list_has_any(coalesce(usual_hours, []), [
                (hour + 23) % 24, hour, (hour + 1) % 24]) AS outside_usual
    FROM declared_distance
)
SELECT
    identity_id,
    any_value(identity_kind) AS identity_kind,
    any_value(identity_name) AS identity_name,
    any_value(app_id) AS app_id,
    any_value(blueprint) AS blueprint,
    any_value(sponsor) AS sponsor,
    any_value(kind_source) AS kind_source,
    bool_or(outside_declared) AS declared,
    max(minutes_outside) AS max_minutes_outside,
    count(*) AS n_events,
    count(DISTINCT hour) AS n_hours,
    string_agg(DISTINCT lpad(CAST(hour AS VARCHAR), 2, '0') || ':00', ', '
        ORDER BY lpad(CAST(hour AS VARCHAR), 2, '0') || ':00') AS hours,
    any_value(usual_hours) AS usual_hours,
    any_value(declared_at) AS declared_at,
    count(*) FILTER (WHERE sensitivity IS NOT NULL) AS n_sensitive,
    min(event_time) AS window_start,
    max(event_time) AS window_end,
    list(event_id ORDER BY event_time)[1:$max_evidence] AS evidence
FROM flagged
WHERE outside_declared OR outside_usual
GROUP BY identity_id
HAVING count(*) >= $min_events
ORDER BY identity_id
