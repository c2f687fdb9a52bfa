-- One row per session (the sessionId of an interactive root sign-in, and the c_sid its tokens
-- carry into Graph activity): its sign-ins, the tokens they issued, the Graph calls that name
-- it, from where (addresses, networks by ASN, countries) and with which clients.
CREATE OR REPLACE {temp} VIEW session_uses AS
SELECT
    session_id,
    arg_min(identity_id, event_time) AS identity_id,
    arg_min(identity_kind, event_time) AS identity_kind,
    arg_min(identity_name, event_time) AS identity_name,
    min(event_time) AS first_use,
    max(event_time) AS last_use,
    count(*) FILTER (WHERE table_name = 'signins') AS signins,
    count(*) FILTER (WHERE table_name = 'activity') AS calls,
    list(DISTINCT token_id ORDER BY token_id)
        FILTER (WHERE token_role = 'issued' AND token_id IS NOT NULL) AS tokens,
    list(event_id ORDER BY event_time) FILTER (WHERE table_name = 'signins') AS signin_event_ids,
    list(DISTINCT ip_address ORDER BY ip_address) FILTER (WHERE ip_address IS NOT NULL)
        AS addresses,
    list(DISTINCT asn ORDER BY asn) FILTER (WHERE asn IS NOT NULL) AS asns,
    list(DISTINCT country ORDER BY country) FILTER (WHERE country IS NOT NULL) AS countries,
    list(DISTINCT user_agent ORDER BY user_agent) FILTER (WHERE nullif(user_agent, '') IS NOT NULL)
        AS user_agents
FROM token_events
WHERE session_id IS NOT NULL AND NOT conflicting_duplicate
GROUP BY session_id
