-- The catalog's identities view as of the report day: activity in the window ("events") and the
-- last time seen up to the report day (a report on an older day does not show later activity).
-- $1: first day, $2: last day (YYYY-MM-DD).
SELECT
    i.identity_id,
    i.actor_kind AS kind,
    i.kind_source,
    i.name,
    i.app_id,
    i.blueprint,
    i.sponsor,
    i.registered,
    i.creation_channel,
    i.first_seen,
    w.last_seen,
    coalesce(w.events, 0) AS events
FROM identities i
LEFT JOIN (
    SELECT
        identity_id,
        CAST(sum(events) FILTER (WHERE CAST(day AS DATE) >= CAST($1 AS DATE)) AS BIGINT)
            AS events,
        max(last_time) AS last_seen
    FROM identity_day
    WHERE CAST(day AS DATE) <= CAST($2 AS DATE)
    GROUP BY identity_id
) w ON w.identity_id = i.identity_id
WHERE i.identity_id IS NOT NULL
  AND (w.events > 0 OR i.registered)
