-- Every identity active in the report window, from the unified events view.
-- $1: first day, $2: last day (YYYY-MM-DD).
SELECT
    identity_id,
    arg_max(identity_kind, event_time) AS kind,
    arg_max(kind_source, event_time) AS kind_source,
    arg_max(identity_name, event_time) FILTER (WHERE identity_name IS NOT NULL) AS name,
    arg_max(app_id, event_time) FILTER (WHERE app_id IS NOT NULL) AS app_id,
    arg_max(blueprint, event_time) FILTER (WHERE blueprint IS NOT NULL) AS blueprint,
    arg_max(sponsor, event_time) FILTER (WHERE sponsor IS NOT NULL) AS sponsor,
    bool_or(registered) AS registered,
    min(event_time) AS first_seen,
    max(event_time) AS last_seen,
    count(*) AS events
FROM events
WHERE identity_id IS NOT NULL
  AND CAST(day AS DATE) BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE)
GROUP BY identity_id
