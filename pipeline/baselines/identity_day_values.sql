-- Per identity, day and dimension: each distinct value with its count and first / last time
-- (lake/rollups/identity_day_values). $day: the day.
WITH v AS (
    SELECT
        identity_id,
        event_time,
        unnest([
            {'dimension': 'resource', 'value': resource},
            {'dimension': 'app', 'value': app_id},
            {'dimension': 'resource_path', 'value': resource_path},
            {'dimension': 'ip', 'value': ip_address},
            {'dimension': 'asn', 'value': CAST(asn AS VARCHAR)},
            {'dimension': 'country', 'value': country},
            {'dimension': 'user_agent', 'value': user_agent},
            {'dimension': 'credential_key', 'value': credential_key_id},
            {'dimension': 'hour_of_week',
             'value': CAST((isodow(event_time) - 1) * 24 + hour AS VARCHAR)},
            {'dimension': 'obo_user', 'value': on_behalf_of_id}
        ]) AS dv
    FROM rollup_input
)
SELECT
    identity_id,
    CAST($day AS DATE) AS day,
    dv.dimension AS dimension,
    dv.value AS value,
    count(*) AS events,
    min(event_time) AS first_time,
    max(event_time) AS last_time
FROM v
WHERE dv.value IS NOT NULL
GROUP BY identity_id, dv.dimension, dv.value
