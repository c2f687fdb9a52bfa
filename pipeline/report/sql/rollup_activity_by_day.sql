-- Day-by-day activity of the chosen identities from the identity_day rollup (cheap at scale).
-- $1: identity ids (lower-case list), $2: first day, $3: last day (YYYY-MM-DD).
SELECT
    identity_id,
    CAST(CAST(day AS DATE) AS VARCHAR) AS day,
    CAST(sum(events) AS BIGINT) AS events,
    CAST(sum(coalesce(failed_signins, 0) + coalesce(failed_requests, 0)) AS BIGINT) AS failures,
    CAST(sum(coalesce(sensitive_events, 0)) AS BIGINT) AS sensitive
FROM identity_day
WHERE list_contains($1, identity_id)
  AND CAST(day AS DATE) BETWEEN CAST($2 AS DATE) AND CAST($3 AS DATE)
GROUP BY ALL
ORDER BY identity_id, day
