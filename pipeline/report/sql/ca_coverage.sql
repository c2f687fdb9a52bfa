-- Agent and service-principal sign-ins per identity key over the window, and how many no
-- Conditional Access policy covered. Reads the signins table alone (no identity resolution), so
-- it stays cheap at scale; a sign-in counts under its service principal, user (agent users) and
-- app id, and the report looks an identity up by its own id. Managed identities are outside
-- Conditional Access by design. $1: first day, $2: last day (YYYY-MM-DD).
SELECT
    key AS identity_id,
    count(*) AS signins,
    count(*) FILTER (WHERE lower(conditional_access_status) = 'notapplied') AS ca_not_applied
FROM (
    SELECT
        unnest(list_distinct([lower(service_principal_id), lower(user_id), lower(app_id)]))
            AS key,
        conditional_access_status
    FROM signins
    WHERE CAST(date AS DATE) BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE)
      AND NOT conflicting_duplicate  -- a later version of an event counts once
      AND coalesce(log_type, '') <> 'managed_identity'
      AND (agent_type IS NOT NULL OR agent_subject_type IS NOT NULL
           OR log_type = 'service_principal')
)
WHERE key IS NOT NULL
GROUP BY key
