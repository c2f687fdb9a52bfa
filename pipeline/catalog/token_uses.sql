-- One row per token: the sign-in that issued it (issuing_event_id; null when no sign-in in the
-- lake did: an orphan token) and every Graph call made with it, from where (addresses, networks
-- by ASN, countries) and with which clients. Rows whose token id is missing or malformed are
-- in token_events, linked to no token.
CREATE OR REPLACE {temp} VIEW token_uses AS
SELECT
    token_id,
    any_value(issuing_event_id) AS issuing_event_id,
    min(event_time) FILTER (WHERE token_role = 'issued') AS issued_time,
    coalesce(arg_min(identity_id, event_time) FILTER (WHERE token_role = 'issued'),
             arg_min(identity_id, event_time)) AS identity_id,
    coalesce(arg_min(identity_kind, event_time) FILTER (WHERE token_role = 'issued'),
             arg_min(identity_kind, event_time)) AS identity_kind,
    coalesce(arg_min(identity_name, event_time) FILTER (WHERE token_role = 'issued'),
             arg_min(identity_name, event_time)) AS identity_name,
    any_value(session_id) AS session_id,
    min(event_time) FILTER (WHERE token_role = 'used') AS first_use,
    max(event_time) FILTER (WHERE token_role = 'used') AS last_use,
    count(*) FILTER (WHERE token_role = 'used') AS calls,
    count(*) FILTER (WHERE token_role = 'used' AND succeeded IS false) AS failed_calls,
    list(DISTINCT ip_address ORDER BY ip_address) FILTER (WHERE ip_address IS NOT NULL)
        AS addresses,
    list(DISTINCT asn ORDER BY asn) FILTER (WHERE asn IS NOT NULL) AS asns,
    list(DISTINCT country ORDER BY country) FILTER (WHERE country IS NOT NULL) AS countries,
    list(DISTINCT user_agent ORDER BY user_agent) FILTER (WHERE nullif(user_agent, '') IS NOT NULL)
        AS user_agents
FROM token_events
WHERE token_id IS NOT NULL AND NOT conflicting_duplicate
GROUP BY token_id
