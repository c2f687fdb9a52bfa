-- Agents acting with a person's delegated token: one row per (agent, person), from the
-- per-identity-day rollups (dimension obo_user). Both stay identities of their own.
CREATE OR REPLACE {temp} VIEW obo_pairs AS
SELECT
    v.identity_id AS agent_id,
    any_value(d.identity_kind) AS agent_kind,
    any_value(d.identity_name) AS agent_name,
    bool_or(d.registered) AS agent_registered,
    v.value AS user_id,
    min(v.first_time) AS first_seen,
    max(v.last_time) AS last_seen,
    count(DISTINCT v.day) AS days,
    CAST(sum(v.events) AS BIGINT) AS events
FROM identity_day_values v
LEFT JOIN identity_day d ON d.identity_id = v.identity_id AND d.day = v.day
WHERE v.dimension = 'obo_user'
GROUP BY v.identity_id, v.value
