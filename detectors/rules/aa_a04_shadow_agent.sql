-- AA-A04: shadow agents active on the judged day: identities Entra marks as agents that are not
-- in the registry, registered agents without a sponsor, and service principals that look like
-- agents (name or user agent) but are not registered. One row per identity.
-- Parameters: $agent_kinds, $registered (lower-cased keys), $blueprints (lower-cased blueprint
-- app ids of registered agents), $unsponsored (lower-cased keys of registered agents without a
-- sponsor), $name_pattern, $ua_pattern, $max_evidence.
WITH per_identity AS (
    -- one row per identity first: registry lists are then checked per identity, not per event
    SELECT
        identity_id,
        arg_max(identity_kind, event_time) AS identity_kind,
        arg_max(identity_name, event_time) AS identity_name,
        arg_max(app_id, event_time) AS app_id,
        arg_max(blueprint, event_time) AS blueprint,
        arg_max(sponsor, event_time) AS sponsor,
        arg_max(kind_source, event_time) AS kind_source,
        bool_or(registered IS true) AS registered_event,
        count(*) AS n_events,
        count(DISTINCT resource) AS n_resources,
        count(*) FILTER (WHERE sensitivity IS NOT NULL) AS n_sensitive,
        string_agg(DISTINCT sensitivity, ', ' ORDER BY sensitivity) AS sensitivities,
        min(event_time) AS window_start,
        max(event_time) AS window_end,
        list(event_id ORDER BY event_time)[1:$max_evidence] AS evidence
    FROM day_events
    WHERE identity_id IS NOT NULL
    GROUP BY identity_id
),
registration AS (
    SELECT
        *,
        registered_event
            OR list_contains($registered, lower(identity_id))
            OR list_contains($registered, lower(coalesce(app_id, '')))
            OR (identity_kind = 'agent_user'
                AND list_contains($registered, lower(coalesce(blueprint, ''))))
            OR (identity_kind = 'agent_blueprint'
                AND (list_contains($blueprints, lower(identity_id))
                     OR list_contains($blueprints, lower(coalesce(app_id, ''))))) AS is_registered
    FROM per_identity
),
agent_like_uas AS (
    -- user agents only of the unregistered service principals that might look like agents
    SELECT e.identity_id, min(e.user_agent) AS top_user_agent
    FROM day_events AS e
    JOIN registration AS r USING (identity_id)
    WHERE r.identity_kind IN ('service_principal', 'unknown') AND NOT r.is_registered
      AND regexp_matches(lower(coalesce(e.user_agent, '')), $ua_pattern)
    GROUP BY e.identity_id
),
flags AS (
    SELECT
        r.*,
        regexp_matches(lower(coalesce(r.identity_name, '')), $name_pattern) AS agent_name,
        u.identity_id IS NOT NULL AS agent_ua,
        u.top_user_agent
    FROM registration AS r
    LEFT JOIN agent_like_uas AS u USING (identity_id)
),
judged AS (
    SELECT
        p.*,
        CASE
            WHEN list_contains($agent_kinds, p.identity_kind) AND NOT p.is_registered
                THEN 'unregistered'
            WHEN p.is_registered
                 AND (list_contains($unsponsored, lower(p.identity_id))
                      OR list_contains($unsponsored, lower(coalesce(p.app_id, ''))))
                THEN 'no_sponsor'
            WHEN p.identity_kind IN ('service_principal', 'unknown') AND NOT p.is_registered
                 AND (p.agent_name OR p.agent_ua)
                THEN 'agent_like'
        END AS reason
    FROM flags AS p
)
SELECT
    *,
    (SELECT min(h.first_seen) FROM history_values AS h
     WHERE h.identity_id = judged.identity_id) AS first_seen_before
FROM judged
WHERE reason IS NOT NULL
ORDER BY identity_id
