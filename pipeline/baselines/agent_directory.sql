-- Agents seen in one day's agent sign-ins (Entra agent fields), keyed by every id they go by, so
-- that activity records of the same app resolve to the agent. $day: the partition date.
WITH a AS (
    SELECT
        CASE WHEN agent_kind(agent_subject_type) = 'agent_user' THEN 'agent_user'
             ELSE coalesce(agent_kind(agent_type), agent_kind(agent_subject_type)) END AS kind,
        lower(user_id) AS user_id,
        lower(service_principal_id) AS sp_id,
        lower(app_id) AS app_id,
        lower(agent_parent_app_id) AS blueprint,
        coalesce(service_principal_name, app_display_name, user_principal_name) AS name,
        event_time
    FROM signins
    WHERE date = $day AND (agent_type IS NOT NULL OR agent_subject_type IS NOT NULL)
),
k AS (
    -- strong: the row names the object id itself (preferred over an app id fallback)
    SELECT user_id AS key, kind, user_id AS identity_id, blueprint,
           coalesce(name, user_id) AS name, event_time, 1 AS strong
    FROM a WHERE kind = 'agent_user' AND user_id IS NOT NULL
    UNION ALL
    SELECT sp_id, kind, sp_id, blueprint, name, event_time, 1
    FROM a WHERE kind IN ('agent_identity', 'agent_blueprint') AND sp_id IS NOT NULL
    UNION ALL
    SELECT app_id, kind, coalesce(sp_id, app_id), blueprint, name, event_time,
           CASE WHEN sp_id IS NOT NULL THEN 1 ELSE 0 END
    FROM a WHERE kind IN ('agent_identity', 'agent_blueprint') AND app_id IS NOT NULL
)
SELECT key, kind, identity_id, any_blueprint AS blueprint, name, last_seen
FROM (
    SELECT *, max(event_time) OVER (PARTITION BY key) AS last_seen,
           coalesce(blueprint, max(blueprint) OVER (PARTITION BY key)) AS any_blueprint
    FROM k
    QUALIFY row_number() OVER (PARTITION BY key ORDER BY strong DESC, event_time DESC) = 1
)
