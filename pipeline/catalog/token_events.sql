-- Every sign-in and Graph activity record that carries a token or a session id, one row each:
-- a sign-in issues the token its uniqueTokenIdentifier names, a Graph call uses the token its
-- signInActivityId names (the uti of the sign-in that issued it), and both name the session
-- (sessionId, c_sid) of the interactive sign-in they descend from. token_id and session_id are
-- the keys that link them (token_key, session_key); a missing or malformed id is kept as
-- written (token_id_raw, session_id_raw) and links to nothing. The acting identity is the
-- events view's. Graph activity has no network owner of its own: its asn and country are those
-- sign-ins of the tenant report for the same address (asn_source 'address'), else for its
-- network when all of them agree (IPv4 /16, IPv6 /32: asn_source 'network').
CREATE OR REPLACE {temp} VIEW token_events AS
WITH
rows AS (
    SELECT
        s.event_id, 'signins' AS table_name, s.event_time, s.date AS day, 'issued' AS token_role,
        nullif(trim(s.unique_token_id), '') AS token_id_raw,
        nullif(trim(s.session_id), '') AS session_id_raw,
        ip_norm(s.ip_address) AS ip_address,
        s.autonomous_system_number AS own_asn,
        upper(nullif(trim(s.country), '')) AS own_country,
        s.user_agent, s.succeeded, s.log_type AS detail, s.conflicting_duplicate
    FROM signins AS s
    WHERE nullif(trim(s.unique_token_id), '') IS NOT NULL
       OR nullif(trim(s.session_id), '') IS NOT NULL
    UNION ALL
    SELECT
        a.event_id, 'activity', a.event_time, a.date, 'used',
        nullif(trim(a.sign_in_activity_id), ''),
        nullif(trim(a.session_id), ''),
        ip_norm(a.ip_address),
        CAST(NULL AS BIGINT),
        CAST(NULL AS VARCHAR),
        a.user_agent,
        CASE WHEN a.status_code IS NULL THEN NULL ELSE a.status_code < 400 END,
        a.token_type, a.conflicting_duplicate
    FROM activity AS a
    WHERE nullif(trim(a.sign_in_activity_id), '') IS NOT NULL
       OR nullif(trim(a.session_id), '') IS NOT NULL
),
by_address AS (
    SELECT ip_norm(ip_address) AS ip, mode(autonomous_system_number) AS asn,
           mode(upper(country)) AS country
    FROM signins
    WHERE autonomous_system_number IS NOT NULL AND ip_address IS NOT NULL
    GROUP BY 1
),
by_network AS (
    SELECT ip_net(ip_address) AS net, any_value(autonomous_system_number) AS asn
    FROM signins
    WHERE autonomous_system_number IS NOT NULL AND ip_net(ip_address) IS NOT NULL
    GROUP BY 1
    HAVING count(DISTINCT autonomous_system_number) = 1
),
issued AS (
    SELECT token_key(unique_token_id) AS token_id, arg_min(event_id, event_time) AS event_id
    FROM signins
    WHERE token_key(unique_token_id) IS NOT NULL
    GROUP BY 1
)
SELECT
    r.event_id,
    r.table_name,
    r.event_time,
    r.day,
    e.identity_id,
    e.identity_kind,
    e.identity_name,
    e.app_id,
    r.token_role,
    token_key(r.token_id_raw) AS token_id,
    r.token_id_raw,
    CASE WHEN r.table_name = 'activity' THEN i.event_id ELSE r.event_id END
        AS issuing_event_id,
    session_key(r.session_id_raw) AS session_id,
    r.session_id_raw,
    r.ip_address,
    coalesce(r.own_asn, ba.asn, bn.asn) AS asn,
    CASE WHEN r.own_asn IS NOT NULL THEN 'signin' WHEN ba.asn IS NOT NULL THEN 'address'
         WHEN bn.asn IS NOT NULL THEN 'network' END AS asn_source,
    coalesce(r.own_country, ba.country) AS country,
    r.user_agent,
    ua_client(r.user_agent) AS client,
    r.succeeded,
    r.detail,
    r.conflicting_duplicate
FROM rows AS r
LEFT JOIN events AS e ON e.event_id = r.event_id AND e.table_name = r.table_name
    AND e.day = r.day AND e.conflicting_duplicate = r.conflicting_duplicate
LEFT JOIN by_address AS ba ON r.own_asn IS NULL AND ba.ip = r.ip_address
LEFT JOIN by_network AS bn ON r.own_asn IS NULL AND ba.asn IS NULL
    AND bn.net = ip_net(r.ip_address)
LEFT JOIN issued AS i ON r.table_name = 'activity' AND i.token_id = token_key(r.token_id_raw)
