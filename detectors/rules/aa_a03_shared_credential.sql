-- AA-A03: one credential or app shared. Three shapes on the judged day, one row per identity:
--   credential: a credential key used by several identities (the main holder is named);
--   app: one app id used by several registered agents;
--   concurrent: a non-human identity used within one hour from >= $min_networks networks, at
--               least one of them new to it, where the networks belong to different owners
--               (distinct ASNs) or the calls come from several user agents. One cloud
--               provider's address pool (an agent in Azure reaching Graph from many Azure
--               addresses, one client) is one owner, not a shared credential. A network is the
--               ASN (the event's, else the one a sign-in of the day gave the same address), else
--               the IP's /16 or /48.
-- Parameters: $registered, $human_kinds, $min_networks, $max_evidence.
WITH today AS (
    SELECT * FROM day_events WHERE identity_id IS NOT NULL
),
by_key AS (
    SELECT credential_key_id, identity_id, count(*) AS n
    FROM today
    WHERE credential_key_id IS NOT NULL
    GROUP BY ALL
),
shared_keys AS (
    SELECT
        credential_key_id,
        arg_max(identity_id, n) AS holder,
        count(*) AS n_users,
        string_agg(identity_id, ', ' ORDER BY n DESC) AS users
    FROM by_key
    GROUP BY credential_key_id
    HAVING count(*) >= 2
),
credential_rows AS (
    SELECT
        k.holder AS identity_id,
        'credential' AS shape,
        'credential ' || k.credential_key_id || ' used by ' || k.users AS what,
        k.n_users AS n_parties,
        t.event_id, t.event_time
    FROM shared_keys AS k
    JOIN today AS t USING (credential_key_id)
),
agent_apps AS (
    SELECT app_id, identity_id, n
    FROM (
        SELECT app_id, identity_id, count(*) AS n, bool_or(registered IS true) AS reg
        FROM today
        WHERE app_id IS NOT NULL AND identity_kind <> 'agent_user'
        GROUP BY app_id, identity_id
    )
    WHERE reg OR list_contains($registered, lower(identity_id))
),
shared_apps AS (
    SELECT
        app_id,
        arg_max(identity_id, n) AS holder,
        count(*) AS n_agents,
        string_agg(identity_id, ', ' ORDER BY n DESC) AS agents
    FROM agent_apps
    GROUP BY app_id
    HAVING count(*) >= 2
),
app_rows AS (
    SELECT
        a.holder AS identity_id,
        'app' AS shape,
        'app ' || a.app_id || ' used by registered agents ' || a.agents AS what,
        a.n_agents AS n_parties,
        t.event_id, t.event_time
    FROM shared_apps AS a
    JOIN today AS t ON t.app_id = a.app_id AND t.registered IS true
),
known_nets AS (
    SELECT identity_id, 'asn:' || value AS net FROM history_values WHERE dimension = 'asn'
    UNION
    SELECT identity_id,
        'net:' || CASE WHEN contains(value, ':')
             THEN regexp_extract(lower(value), '^([0-9a-f]*:[0-9a-f]*:[0-9a-f]*)')
             ELSE regexp_extract(value, '^(\d+\.\d+)\.') END
    FROM history_values WHERE dimension = 'ip'
),
ip_owner AS (
    -- activity logs carry no ASN; a sign-in of the day from the same address does
    SELECT ip_address, min(asn) AS asn FROM today
    WHERE ip_address IS NOT NULL AND asn IS NOT NULL
    GROUP BY ip_address
),
addresses AS (
    -- one row per non-human identity, hour, address and client (not per event)
    SELECT
        t.identity_id,
        time_bucket(INTERVAL 1 HOUR, t.event_time) AS bucket,
        t.ip_address,
        coalesce(t.asn, o.asn) AS asn,
        t.user_agent
    FROM today AS t
    LEFT JOIN ip_owner AS o USING (ip_address)
    WHERE NOT list_contains($human_kinds, t.identity_kind)
    GROUP BY ALL
),
nets AS (
    SELECT
        a.*,
        CASE WHEN a.asn IS NOT NULL THEN 'asn:' || CAST(a.asn AS VARCHAR)
             WHEN contains(coalesce(a.ip_address, ''), ':') THEN 'net:' || regexp_extract(
                lower(a.ip_address), '^([0-9a-f]*:[0-9a-f]*:[0-9a-f]*)')
             WHEN a.ip_address IS NOT NULL THEN 'net:' || regexp_extract(
                a.ip_address, '^(\d+\.\d+)\.')
        END AS net
    FROM addresses AS a
),
nets_flagged AS (
    SELECT n.*, k.net IS NULL AND n.net IS NOT NULL AS new_net
    FROM nets AS n
    LEFT JOIN known_nets AS k ON k.identity_id = n.identity_id AND k.net = n.net
),
busy_hours AS (
    SELECT identity_id, bucket, count(DISTINCT net) AS n_nets
    FROM nets_flagged
    GROUP BY identity_id, bucket
    HAVING count(DISTINCT net) >= $min_networks AND bool_or(new_net)
       AND (count(DISTINCT asn) >= $min_owners OR count(DISTINCT user_agent) >= $min_clients)
),
concurrent_rows AS (
    SELECT
        t.identity_id,
        'concurrent' AS shape,
        'used from ' || max(b.n_nets) OVER (PARTITION BY t.identity_id)
            || ' networks and ' || count(DISTINCT t.user_agent) OVER (PARTITION BY t.identity_id)
            || ' user agents within an hour' AS what,
        max(b.n_nets) OVER (PARTITION BY t.identity_id) AS n_parties,
        t.event_id, t.event_time
    FROM today AS t
    JOIN busy_hours AS b
      ON b.identity_id = t.identity_id
     AND b.bucket = time_bucket(INTERVAL 1 HOUR, t.event_time)
),
found AS (
    SELECT * FROM credential_rows
    UNION ALL SELECT * FROM app_rows
    UNION ALL SELECT * FROM concurrent_rows
),
who AS (
    SELECT
        identity_id,
        arg_max(identity_kind, event_time) AS identity_kind,
        arg_max(identity_name, event_time) AS identity_name,
        arg_max(app_id, event_time) AS app_id,
        arg_max(blueprint, event_time) AS blueprint,
        arg_max(sponsor, event_time) AS sponsor,
        arg_max(kind_source, event_time) AS kind_source,
        count(DISTINCT ip_address) AS n_ips,
        count(DISTINCT user_agent) AS n_user_agents
    FROM today
    WHERE identity_id IN (SELECT identity_id FROM found)
    GROUP BY identity_id
)
SELECT
    f.identity_id,
    any_value(w.identity_kind) AS identity_kind,
    any_value(w.identity_name) AS identity_name,
    any_value(w.app_id) AS app_id,
    any_value(w.blueprint) AS blueprint,
    any_value(w.sponsor) AS sponsor,
    any_value(w.kind_source) AS kind_source,
    any_value(w.n_ips) AS n_ips,
    any_value(w.n_user_agents) AS n_user_agents,
    string_agg(DISTINCT f.shape, ', ' ORDER BY f.shape) AS shapes,
    string_agg(DISTINCT f.what, '; ' ORDER BY f.what) AS what,
    max(f.n_parties) AS n_parties,
    count(DISTINCT f.event_id) AS n_events,
    min(f.event_time) AS window_start,
    max(f.event_time) AS window_end,
    list(f.event_id ORDER BY f.event_time)[1:$max_evidence] AS evidence
FROM found AS f
JOIN who AS w USING (identity_id)
GROUP BY f.identity_id
ORDER BY f.identity_id
