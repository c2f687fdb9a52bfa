-- AA-M01: per-identity-day features from the identity_day rollup, for the look-back window
-- (history_days) and the judged day (day_identity): the rule fits on the days before the judged
-- day and scores it.
SELECT
    identity_id,
    day,
    identity_kind,
    identity_name,
    app_id,
    blueprint,
    sponsor,
    kind_source,
    events,
    distinct_resources,
    distinct_paths,
    distinct_ips,
    distinct_countries,
    distinct_user_agents,
    active_hours,
    (coalesce(failed_signins, 0) + coalesce(failed_requests, 0)) / greatest(events, 1)
        AS failure_rate,
    bytes,
    sensitive_share,
    first_time,
    last_time
FROM (SELECT * FROM history_days UNION ALL SELECT * FROM day_identity)
WHERE identity_id IS NOT NULL
ORDER BY identity_id, day
