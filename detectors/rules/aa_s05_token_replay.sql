-- AA-S05: token or session replay on the judged day. A key is a token (the uti a sign-in issued
-- as uniqueTokenIdentifier and Graph calls name as signInActivityId) or a session (sessionId /
-- c_sid); its uses are the day's sign-ins and Graph calls that carry it, and a token's issuing
-- sign-in (up to $token_hours before). A use's place is the owner of its network: its ASN (a
-- Graph call has none: the ASN sign-ins of the window report for its address, else for its
-- network when they all agree), one provider's several ASNs being one owner ($owner_of), so a
-- provider's address pool, Microsoft's own networks and a client's IPv4 and IPv6 addresses are
-- one place. A key is flagged for
--   owners:  consecutive uses from two owners within its lifetime (a token: $token_hours; a
--            session: $window_minutes between them, a session lives for weeks and a laptop
--            moves); for a person only when the two uses also differ in country or client (a
--            phone between Wi-Fi and mobile data keeps both), for an identity of a machine only
--            when it has no sign-in networks to judge by (else 'outside' says it better); and a
--            person's session up to $session_hours apart when the two uses differ in owner,
--            country and client at once (a traveller keeps their laptop; a stolen cookie
--            turns up later on the thief's machine);
--   clients: consecutive uses of one kind (two calls, two sign-ins) by two clients (platform or
--            program, ua_client) within that lifetime;
--   outside: a machine identity's (agent, service principal) Graph call from a network none of
--            its successful sign-ins of the window comes from (by owner; with no owner known
--            for the call or for its sign-ins (service principal sign-ins carry no ASN), by
--            IPv4 /16 or IPv6 /32 when it signs in over that IP version at all);
--   revoked: a use more than $grace_minutes after its identity's sessions were revoked or a
--            credential of it removed ($revoke_pattern, $removal_pattern; an update of its
--            certificates and secrets that leaves fewer keys) when the key was issued before.
-- Works on a lake with no history: the day's own sign-ins are networks enough. One row per
-- flagged key; the rule groups them per identity.
-- Parameters: $day, $day_start, $day_end, $issued_start(_day) (day_start - $token_hours),
-- $since_day (lookback), $token_hours, $window_minutes, $session_hours, $grace_minutes,
-- $owner_of
-- ('<asn>|<owner>'), $revoke_pattern, $removal_pattern, $max_evidence.
WITH
owners AS (
    SELECT TRY_CAST(split_part(x, '|', 1) AS BIGINT) AS asn, split_part(x, '|', 2) AS owner
    FROM (SELECT unnest(CAST($owner_of AS VARCHAR[])) AS x)
),
today AS (
    SELECT
        e.event_id, e.table_name, e.event_time, e.identity_id, e.identity_kind,
        e.identity_name, e.app_id, e.blueprint, e.sponsor, e.kind_source,
        ip_norm(e.ip_address) AS ip, e.asn AS own_asn, e.country AS own_country, e.user_agent,
        token_key(CASE WHEN e.table_name = 'activity' THEN a.sign_in_activity_id END) AS token_id,
        session_key(coalesce(a.session_id, s.session_id)) AS session_id
    FROM day_events AS e
    LEFT JOIN signins AS s
      ON e.table_name = 'signins' AND s.event_id = e.event_id AND s.date = $day
     AND s.event_time >= $day_start AND s.event_time < $day_end AND NOT s.conflicting_duplicate
    LEFT JOIN activity AS a
      ON e.table_name = 'activity' AND a.event_id = e.event_id AND a.date = $day
     AND a.event_time >= $day_start AND a.event_time < $day_end AND NOT a.conflicting_duplicate
    WHERE e.identity_id IS NOT NULL
      AND e.succeeded IS NOT false  -- a refused request or sign-in used nothing
      AND (s.session_id IS NOT NULL OR a.sign_in_activity_id IS NOT NULL
           OR a.session_id IS NOT NULL)
),
issuers AS (
    SELECT
        token_key(s.unique_token_id) AS token_id, s.event_id, s.event_time,
        ip_norm(s.ip_address) AS ip, s.autonomous_system_number AS own_asn,
        upper(s.country) AS own_country, s.user_agent
    FROM signins AS s
    WHERE s.date >= $issued_start_day AND s.date <= $day
      AND s.event_time >= $issued_start AND s.event_time < $day_end
      AND NOT s.conflicting_duplicate
      AND token_key(s.unique_token_id) IN (SELECT token_id FROM today WHERE token_id IS NOT NULL)
),
raw_uses AS (
    SELECT 'token' AS key_type, token_id AS key, * EXCLUDE (token_id, session_id)
    FROM today WHERE token_id IS NOT NULL
    UNION ALL
    SELECT 'session', session_id, * EXCLUDE (token_id, session_id)
    FROM today WHERE session_id IS NOT NULL
),
key_identity AS (  -- who holds each key: the identity of its first use today
    SELECT key_type, key,
        arg_min({'identity_id': identity_id, 'identity_kind': identity_kind,
                 'identity_name': identity_name, 'app_id': app_id, 'blueprint': blueprint,
                 'sponsor': sponsor, 'kind_source': kind_source}, event_time) AS who
    FROM raw_uses GROUP BY key_type, key
),
uses AS (
    SELECT r.key_type, r.key, r.event_id, r.table_name, r.event_time, r.ip, r.own_asn,
           r.own_country, r.user_agent, who.*
    FROM raw_uses AS r JOIN key_identity AS k USING (key_type, key)
    UNION ALL
    SELECT 'token', i.token_id, i.event_id, 'signins', i.event_time, i.ip, i.own_asn,
           i.own_country, i.user_agent, who.*
    FROM issuers AS i
    JOIN key_identity AS k ON k.key_type = 'token' AND k.key = i.token_id
),
unplaced AS (SELECT DISTINCT ip FROM uses WHERE own_asn IS NULL AND ip IS NOT NULL),
window_signins AS (
    SELECT ip_norm(ip_address) AS ip, autonomous_system_number AS asn, upper(country) AS country
    FROM signins
    WHERE date >= $since_day AND date <= $day AND event_time < $day_end
      AND autonomous_system_number IS NOT NULL AND ip_address IS NOT NULL
      AND (ip_norm(ip_address) IN (SELECT ip FROM unplaced)
           OR ip_net(ip_address) IN (SELECT ip_net(ip) FROM unplaced))
),
by_address AS (
    SELECT ip, mode(asn) AS asn, mode(country) AS country FROM window_signins GROUP BY ip
),
by_network AS (
    SELECT ip_net(ip) AS net, any_value(asn) AS asn
    FROM window_signins GROUP BY 1 HAVING count(DISTINCT asn) = 1
),
placed AS (
    SELECT
        u.*,
        coalesce(u.own_asn, ba.asn, bn.asn) AS asn,
        coalesce(upper(u.own_country), ba.country) AS country,
        ua_client(u.user_agent) AS client,
        ip_family(u.ip) AS family,
        ip_net(u.ip) AS net,
        u.identity_kind NOT IN ('human', 'guest', 'unknown') AS machine
    FROM uses AS u
    LEFT JOIN by_address AS ba ON u.own_asn IS NULL AND ba.ip = u.ip
    LEFT JOIN by_network AS bn ON u.own_asn IS NULL AND bn.net = ip_net(u.ip)
),
owned AS (
    SELECT p.*, coalesce(o.owner, 'AS' || CAST(p.asn AS VARCHAR)) AS owner
    FROM placed AS p LEFT JOIN owners AS o ON o.asn = p.asn
),
home_values AS (  -- the networks each machine identity's successful sign-ins come from
    SELECT h.identity_id, h.dimension, h.value
    FROM history_values AS h
    WHERE h.dimension IN ('asn', 'ip')
      AND h.identity_id IN (SELECT identity_id FROM owned WHERE machine)
    UNION
    SELECT e.identity_id, 'asn', CAST(e.asn AS VARCHAR)
    FROM day_events AS e
    WHERE e.table_name = 'signins' AND e.succeeded IS true AND e.asn IS NOT NULL
      AND e.identity_id IN (SELECT identity_id FROM owned WHERE machine)
    UNION
    SELECT e.identity_id, 'ip', ip_norm(e.ip_address)
    FROM day_events AS e
    WHERE e.table_name = 'signins' AND e.succeeded IS true AND e.ip_address IS NOT NULL
      AND e.identity_id IN (SELECT identity_id FROM owned WHERE machine)
),
home AS (
    SELECT
        v.identity_id,
        list(DISTINCT coalesce(o.owner, 'AS' || v.value)) FILTER (WHERE v.dimension = 'asn')
            AS owners,
        list(DISTINCT ip_net(v.value)) FILTER (WHERE v.dimension = 'ip') AS nets,
        list(DISTINCT ip_family(v.value)) FILTER (WHERE v.dimension = 'ip') AS families
    FROM home_values AS v
    LEFT JOIN owners AS o ON v.dimension = 'asn' AND o.asn = TRY_CAST(v.value AS BIGINT)
    GROUP BY v.identity_id
),
judged AS (
    SELECT
        w.*,
        h.identity_id IS NOT NULL AS has_home,
        h.owners AS home_owners,
        h.nets AS home_nets,
        w.machine AND w.table_name = 'activity' AND h.identity_id IS NOT NULL AND CASE
            WHEN w.owner IS NOT NULL AND len(coalesce(h.owners, [])) > 0
                THEN NOT list_contains(h.owners, w.owner)
            WHEN w.net IS NOT NULL THEN list_contains(coalesce(h.families, []), w.family)
                AND NOT list_contains(coalesce(h.nets, []), w.net)
            ELSE false END AS outside
    FROM owned AS w
    LEFT JOIN home AS h ON w.machine AND h.identity_id = w.identity_id
),
lifetime AS (  -- near: concurrent uses; far: the longest a key is judged over
    SELECT key_type,
        CASE WHEN key_type = 'token' THEN 60 * $token_hours ELSE $window_minutes END AS minutes,
        CASE WHEN key_type = 'token' THEN 60 * $token_hours ELSE 60 * $session_hours END
            AS far_minutes
    FROM (VALUES ('token'), ('session')) AS t(key_type)
),
owner_steps AS (
    SELECT j.*,
        lag(event_id) OVER w AS prev_id, lag(event_time) OVER w AS prev_time,
        lag(owner) OVER w AS prev_owner, lag(country) OVER w AS prev_country,
        lag(client) OVER w AS prev_client, lag(outside) OVER w AS prev_outside
    FROM judged AS j WHERE owner IS NOT NULL
    WINDOW w AS (PARTITION BY key_type, key ORDER BY event_time, event_id)
),
owner_splits AS (
    SELECT s.key_type, s.key, s.prev_id, s.event_id, s.prev_owner, s.owner
    FROM owner_steps AS s JOIN lifetime AS l USING (key_type)
    WHERE s.prev_id IS NOT NULL AND s.owner <> s.prev_owner
      AND CASE WHEN s.event_time - s.prev_time <= to_minutes(CAST(l.minutes AS BIGINT))
               THEN CASE WHEN s.machine THEN NOT s.has_home
                         ELSE s.country <> s.prev_country OR s.client <> s.prev_client END
               WHEN s.event_time - s.prev_time <= to_minutes(CAST(l.far_minutes AS BIGINT))
               THEN NOT s.machine AND s.country <> s.prev_country
                    AND s.client <> s.prev_client
               ELSE false END
),
client_steps AS (
    SELECT j.*,
        lag(event_id) OVER w AS prev_id, lag(event_time) OVER w AS prev_time,
        lag(client) OVER w AS prev_client
    FROM judged AS j WHERE client IS NOT NULL
    WINDOW w AS (PARTITION BY key_type, key, table_name ORDER BY event_time, event_id)
),
client_splits AS (
    SELECT s.key_type, s.key, s.prev_id, s.event_id, s.prev_client, s.client
    FROM client_steps AS s JOIN lifetime AS l USING (key_type)
    WHERE s.prev_id IS NOT NULL AND s.client <> s.prev_client
      AND s.event_time - s.prev_time <= to_minutes(CAST(l.minutes AS BIGINT))
),
cutoffs AS (  -- sessions revoked and credentials removed, per identity (and app) they name
    SELECT a.event_id, a.event_time, a.activity, lower(t.id) AS target_id,
        CASE WHEN regexp_matches(lower(coalesce(a.activity, '')), $revoke_pattern)
             THEN 'revoked' ELSE 'removed' END AS cut
    FROM audits AS a, unnest(a.targets) AS u(t)
    WHERE a.date >= $since_day AND a.date <= $day AND a.event_time < $day_end
      AND NOT a.conflicting_duplicate
      AND lower(coalesce(a.result, 'success')) IN ('success', '')
      AND t.id IS NOT NULL
      AND (regexp_matches(lower(coalesce(a.activity, '')), $revoke_pattern)
        OR regexp_matches(lower(coalesce(a.activity, '')), $removal_pattern)
        OR (regexp_matches(lower(coalesce(a.activity, '')), 'certificates and secrets')
            AND TRY_CAST(json_array_length(t.modified['KeyDescription'].new_value) AS BIGINT)
              < TRY_CAST(json_array_length(t.modified['KeyDescription'].old_value) AS BIGINT)))
),
cut_keys AS (
    SELECT c.*, coalesce(ao.app_id, c.target_id) AS target_key FROM cutoffs AS c
    LEFT JOIN app_of_object AS ao ON ao.object_id = c.target_id
),
key_start AS (  -- when each key was first seen: a session may be weeks old
    SELECT j.key_type, j.key, least(min(j.event_time), any_value(f.first_time)) AS started
    FROM judged AS j
    LEFT JOIN (
        SELECT session_key(session_id) AS key, min(event_time) AS first_time
        FROM signins
        WHERE date >= $since_day AND date <= $day AND event_time < $day_end
          AND session_key(session_id) IN (SELECT key FROM judged WHERE key_type = 'session')
        GROUP BY 1
    ) AS f ON j.key_type = 'session' AND f.key = j.key
    GROUP BY j.key_type, j.key
),
revoked_uses AS (
    SELECT j.key_type, j.key, j.event_id, c.event_id AS cut_id, c.cut, c.activity,
           c.event_time AS cut_time
    FROM judged AS j
    JOIN key_start AS ks USING (key_type, key)
    JOIN cut_keys AS c
      ON (c.target_id = j.identity_id OR c.target_key = j.identity_id
          OR c.target_key = j.app_id)
     AND ks.started < c.event_time
     AND j.event_time > c.event_time + to_minutes(CAST($grace_minutes AS BIGINT))
),
flags AS (
    SELECT key_type, key, 'owners' AS reason, prev_id AS a, event_id AS b FROM owner_splits
    UNION ALL
    SELECT key_type, key, 'clients', prev_id, event_id FROM client_splits
    UNION ALL
    SELECT key_type, key, 'outside', NULL, event_id FROM judged WHERE outside
    UNION ALL
    SELECT key_type, key, 'revoked', cut_id, event_id FROM revoked_uses
),
flagged AS (
    SELECT key_type, key,
        list(DISTINCT reason ORDER BY reason) AS reasons,
        list_distinct(flatten(list([a, b]))) AS flagged_ids
    FROM flags GROUP BY key_type, key
)
SELECT
    f.key_type,
    f.key,
    f.reasons,
    any_value(j.identity_id) AS identity_id,
    any_value(j.identity_kind) AS identity_kind,
    any_value(j.identity_name) AS identity_name,
    any_value(j.app_id) AS app_id,
    any_value(j.blueprint) AS blueprint,
    any_value(j.sponsor) AS sponsor,
    any_value(j.kind_source) AS kind_source,
    min(j.event_time) AS window_start,
    max(j.event_time) AS window_end,
    count(*) FILTER (WHERE j.table_name = 'activity') AS n_calls,
    count(*) FILTER (WHERE j.table_name = 'signins') AS n_signins,
    any_value(j.home_owners) AS home_owners,
    any_value(j.home_nets) AS home_nets,
    arg_min(j.event_id, j.event_time) FILTER (WHERE j.key_type = 'token'
        AND j.table_name = 'signins') AS issuing_id,
    string_agg(DISTINCT coalesce(j.owner, j.net), ', ' ORDER BY coalesce(j.owner, j.net))
        AS places,
    string_agg(DISTINCT coalesce(j.owner, j.net), ', ' ORDER BY coalesce(j.owner, j.net))
        FILTER (WHERE j.outside) AS outside_places,
    string_agg(DISTINCT j.country, ', ' ORDER BY j.country) AS countries,
    string_agg(DISTINCT j.ip, ', ' ORDER BY j.ip) AS addresses,
    string_agg(DISTINCT j.client, ', ' ORDER BY j.client) AS clients,
    (SELECT string_agg(DISTINCT r.activity || ' at ' || strftime(r.cut_time, '%Y-%m-%d %H:%M'),
                       '; ')
     FROM revoked_uses AS r WHERE r.key_type = f.key_type AND r.key = f.key) AS cut_by,
    list_concat(
        (SELECT list(DISTINCT r.cut_id ORDER BY r.cut_id) FROM revoked_uses AS r
         WHERE r.key_type = f.key_type AND r.key = f.key),
        list(DISTINCT j.event_id ORDER BY j.event_id)
            FILTER (WHERE list_contains(f.flagged_ids, j.event_id))) AS flagged_ids
FROM flagged AS f
JOIN judged AS j USING (key_type, key)
GROUP BY f.key_type, f.key, f.reasons, f.flagged_ids
ORDER BY identity_id, f.key_type, f.key
