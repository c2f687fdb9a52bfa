-- AA-R04: API requests of registered agents on the judged day, with their daily history.
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
        count(*) AS requests,
        min(event_time) AS window_start,
        max(event_time) AS window_end,
        array_slice(list(event_id ORDER BY event_time DESC), 1, 500) AS evidence
    FROM day_events
    WHERE day = $day
      AND table_name = 'activity'
      AND (identity_id IN (SELECT unnest($keys)) OR app_id IN (SELECT unnest($keys)))
    GROUP BY identity_id
),
stats AS (
    -- API requests a day over the look-back window
    SELECT
        identity_id,
        quantile_cont(requests, 0.95) AS p95_requests,
        max(requests) AS max_requests,
        count(*) AS history_days
    FROM history_days
    WHERE identity_id IN (SELECT identity_id FROM today)
    GROUP BY identity_id
)
SELECT
    t.*,
    coalesce(s.p95_requests, 0) AS p95_requests,
    coalesce(s.max_requests, 0) AS max_requests,
    coalesce(s.history_days, 0) AS history_days
FROM today t LEFT JOIN stats s USING (identity_id)
ORDER BY t.identity_id
