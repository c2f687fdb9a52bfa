-- Sign-ins per agent or service principal in the report window and how many no Conditional
-- Access policy covered (managed identities are outside Conditional Access by design).
-- $1: first day, $2: last day (YYYY-MM-DD).
SELECT
    e.identity_id,
    count(*) AS signins,
    count(*) FILTER (WHERE lower(s.conditional_access_status) = 'notapplied') AS ca_not_applied
FROM events e
JOIN signins s ON s.event_id = e.event_id
    AND CAST(s.date AS DATE) BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE)
WHERE e.table_name = 'signins'
  AND e.identity_kind IN ('agent_identity', 'agent_user', 'agent_blueprint', 'service_principal')
  AND CAST(e.day AS DATE) BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE)
GROUP BY e.identity_id
