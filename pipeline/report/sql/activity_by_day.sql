-- Day-by-day activity of the chosen identities over the report window.
-- $1: identity ids (lower-case list), $2: first day, $3: last day (YYYY-MM-DD).
SELECT
    identity_id,
    CAST(CAST(day AS DATE) AS VARCHAR) AS day,
    count(*) AS events,
    count(*) FILTER (WHERE succeeded = false) AS failures,
    count(sensitivity) AS sensitive
FROM events
WHERE list_contains($1, identity_id)
  AND NOT conflicting_duplicate  -- a later version of an event counts once
  AND CAST(day AS DATE) BETWEEN CAST($2 AS DATE) AND CAST($3 AS DATE)
GROUP BY ALL
ORDER BY identity_id, day
