-- The catalog's identities view, with the window's activity for the "events" column.
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
    i.first_seen,
    i.last_seen,
    coalesce(w.events, 0) AS events
FROM identities i
LEFT JOIN (
    SELECT identity_id, CAST(sum(events) AS BIGINT) AS events
    FROM identity_day
    WHERE CAST(day AS DATE) BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE)
    GROUP BY identity_id
) w ON w.identity_id = i.identity_id
WHERE i.identity_id IS NOT NULL
  AND (w.events > 0 OR i.registered OR i.last_seen >= CAST($1 AS DATE))
