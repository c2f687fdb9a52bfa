-- AA-P03: reads of sensitive resources (the catalogue's tags) on the judged day per identity,
-- with the identity's daily history of the same (days it was active but read none count as 0).
WITH sens AS (
    SELECT identity_id, day, event_id, event_time, sensitivity, coalesce(bytes, 0) AS bytes,
           identity_kind, identity_name, app_id, blueprint, sponsor, kind_source, on_behalf_of_id
    FROM events
    WHERE day >= $since AND day <= $day
      AND sensitivity IS NOT NULL
      AND coalesce(succeeded, true)
),
today AS (
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
        CAST(sum(bytes) AS DOUBLE) AS bytes,
        mode(sensitivity) AS top_tag,
        string_agg(DISTINCT sensitivity, ',' ORDER BY sensitivity) AS tags,
        min(event_time) AS window_start,
        max(event_time) AS window_end,
        array_slice(list(event_id ORDER BY event_time), 1, 500) AS evidence
    FROM sens
    WHERE day = $day
    GROUP BY identity_id
    HAVING count(*) >= $min_requests OR CAST(sum(bytes) AS DOUBLE) >= $min_bytes
),
daily AS (
    SELECT identity_id, day, count(*) AS n, CAST(sum(bytes) AS DOUBLE) AS b
    FROM sens
    WHERE day < $day AND identity_id IN (SELECT identity_id FROM today)
    GROUP BY identity_id, day
),
active_days AS (
    SELECT DISTINCT identity_id, day
    FROM events
    WHERE day >= $since AND day < $day AND identity_id IN (SELECT identity_id FROM today)
),
filled AS (
    SELECT a.identity_id, a.day, coalesce(d.n, 0) AS n, coalesce(d.b, 0) AS b
    FROM active_days a LEFT JOIN daily d USING (identity_id, day)
),
stats AS (
    SELECT
        identity_id,
        count(*) AS history_days,
        quantile_cont(n, 0.95) AS p95_requests,
        max(n) AS max_requests,
        quantile_cont(b, 0.95) AS p95_bytes,
        max(b) AS max_bytes
    FROM filled
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
