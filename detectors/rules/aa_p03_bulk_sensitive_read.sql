-- AA-P03: successful reads of sensitive resources (the catalogue's tags) on the judged day per
-- identity, with the identity's daily history over the look-back window (history_days):
-- sensitive events a day and bytes a day (all its bytes: a conservative baseline for the
-- sensitive ones).
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
        count(*) AS requests,
        CAST(coalesce(sum(bytes), 0) AS DOUBLE) AS bytes,
        mode(sensitivity) AS top_tag,
        string_agg(DISTINCT sensitivity, ',' ORDER BY sensitivity) AS tags,
        min(event_time) AS window_start,
        max(event_time) AS window_end,
        array_slice(list(event_id ORDER BY event_time), 1, 500) AS evidence
    FROM day_events
    WHERE day = $day AND sensitivity IS NOT NULL AND coalesce(succeeded, true)
    GROUP BY identity_id
    HAVING count(*) >= $min_requests OR coalesce(sum(bytes), 0) >= $min_bytes
),
stats AS (
    SELECT
        identity_id,
        count(*) AS history_days,
        quantile_cont(sensitive_events, 0.95) AS p95_requests,
        max(sensitive_events) AS max_requests,
        quantile_cont(CAST(bytes AS DOUBLE), 0.95) AS p95_bytes,
        max(CAST(bytes AS DOUBLE)) AS max_bytes
    FROM history_days
    WHERE identity_id IN (SELECT identity_id FROM today)
    GROUP BY identity_id
)
SELECT
    t.*,
    coalesce(s.history_days, 0) AS history_days,
    coalesce(s.p95_requests, 0) AS p95_requests,
    coalesce(s.max_requests, 0) AS max_requests,
    coalesce(s.p95_bytes, 0) AS p95_bytes,
    coalesce(s.max_bytes, 0) AS max_bytes
FROM today t LEFT JOIN stats s USING (identity_id)
ORDER BY t.identity_id
