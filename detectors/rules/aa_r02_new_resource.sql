-- AA-R02: resources an identity touched on the judged day that are new to its own history and
-- rare among its peers (same blueprint, else same creation channel when known, else same identity
-- kind) over the look-back window.
-- History comes from the baselines (history_values, dimension 'resource'; history_identities
-- for each identity's peer group), so the query reads one day of raw events. A resource is a
-- sign-in's resource (display name, else id) or, for Graph
-- activity, the collection a path reads: /users/{id}/messages/{id} -> graph:/users/*/messages.
WITH today_raw AS (
    SELECT
        identity_id, identity_kind, identity_name, app_id, blueprint, sponsor, kind_source,
        on_behalf_of_id, event_id, event_time, sensitivity,
        coalesce(resource_path, resource, resource_id) AS value
    FROM day_events
    WHERE day = $day AND identity_id IS NOT NULL AND list_contains($kinds, identity_kind)
),
history_ids AS (
    -- who was active in the look-back window, with its peer group (history_identities)
    SELECT identity_id, identity_kind, peer_group, days_active AS history_days
    FROM history_identities
),
channels AS (
    SELECT identity_id, 'channel:' || creation_channel AS channel_group
    FROM creation_channels WHERE creation_channel <> 'unknown'
),
history_raw AS (
    SELECT identity_id, value FROM history_values WHERE dimension = 'resource'
),
keyed_values AS (
    -- each distinct value once: its resource key
    SELECT
        value,
        CASE
            WHEN starts_with(value, '/') THEN
                'graph:/' || split_part(value, '/', 2) ||
                CASE
                    WHEN split_part(value, '/', 3) = '' THEN ''
                    WHEN split_part(value, '/', 3) = '{id}' THEN
                        '/*' || CASE WHEN split_part(value, '/', 4) = '' THEN ''
                                     ELSE '/' || split_part(value, '/', 4) END
                    ELSE '/' || split_part(value, '/', 3)
                END
            ELSE value
        END AS rkey
    FROM (SELECT value FROM today_raw UNION SELECT value FROM history_raw)
    WHERE value IS NOT NULL
),
history AS (
    SELECT DISTINCT h.identity_id, i.peer_group, k.rkey
    FROM history_raw h
    JOIN keyed_values k USING (value)
    JOIN history_ids i USING (identity_id)
    WHERE list_contains($kinds, i.identity_kind)
),
today AS (
    SELECT
        t.identity_id, k.rkey,
        any_value(t.identity_kind) AS identity_kind,
        any_value(t.identity_name) AS identity_name,
        any_value(t.app_id) AS app_id,
        any_value(t.blueprint) AS blueprint,
        any_value(t.sponsor) AS sponsor,
        any_value(t.kind_source) AS kind_source,
        any_value(t.on_behalf_of_id) AS on_behalf_of_id,
        -- the same peer group as history_identities gives, from the judged day's own values
        coalesce(any_value(t.blueprint), any_value(ch.channel_group),
                 any_value(t.identity_kind)) AS peer_group,
        max(t.sensitivity) AS sensitivity,
        count(*) AS requests,
        min(t.event_time) AS window_start,
        max(t.event_time) AS window_end,
        array_slice(list(t.event_id ORDER BY t.event_time), 1, 100) AS evidence
    FROM today_raw t JOIN keyed_values k USING (value)
    LEFT JOIN channels ch ON ch.identity_id = lower(t.identity_id)
    GROUP BY t.identity_id, k.rkey
),
peer_use AS (
    SELECT peer_group, rkey, count(DISTINCT identity_id) AS peer_users
    FROM history GROUP BY peer_group, rkey
),
tenant_use AS (
    SELECT rkey, count(DISTINCT identity_id) AS tenant_users FROM history GROUP BY rkey
),
tenant AS (
    SELECT count(DISTINCT identity_id) AS tenant_identities FROM history
),
new_for_identity AS (
    SELECT t.*
    FROM today t
    ANTI JOIN history h ON h.identity_id = t.identity_id AND h.rkey = t.rkey
),
peers AS (
    -- the other identities of each new-resource identity's peer group
    SELECT g.identity_id, count(DISTINCT h.identity_id) AS peer_count
    FROM (SELECT DISTINCT identity_id, peer_group FROM new_for_identity) g
    JOIN history h ON h.peer_group = g.peer_group AND h.identity_id <> g.identity_id
    GROUP BY g.identity_id
)
SELECT
    n.*,
    coalesce(i.history_days, 0) AS history_days,
    coalesce(p.peer_count, 0) AS peer_count,
    coalesce(u.peer_users, 0) AS peer_users,
    coalesce(tu.tenant_users, 0) AS tenant_users,
    (SELECT tenant_identities FROM tenant) AS tenant_identities
FROM new_for_identity n
LEFT JOIN history_ids i USING (identity_id)
LEFT JOIN peers p ON p.identity_id = n.identity_id
LEFT JOIN peer_use u ON u.peer_group = n.peer_group AND u.rkey = n.rkey
LEFT JOIN tenant_use tu ON tu.rkey = n.rkey
ORDER BY n.identity_id, n.rkey
