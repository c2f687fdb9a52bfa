-- AA-R02: resources an identity touched on the judged day that are new to its own history and
-- rare among its peers (same blueprint, else same identity kind) over the look-back window.
-- A resource is a sign-in's resource (display name, else id) or, for Graph activity, the
-- collection a path reads: /users/{id}/messages/{id} -> graph:/users/*/messages.
WITH keyed AS (
    SELECT
        identity_id, identity_kind, identity_name, app_id, blueprint, sponsor, kind_source,
        on_behalf_of_id, event_id, event_time, day, sensitivity,
        coalesce(blueprint, 'kind:' || identity_kind) AS peer_group,
        CASE
            WHEN resource_path IS NOT NULL THEN
                'graph:/' || split_part(resource_path, '/', 2) ||
                CASE
                    WHEN split_part(resource_path, '/', 3) = '' THEN ''
                    WHEN split_part(resource_path, '/', 3) = '{id}' THEN
                        '/*' || CASE WHEN split_part(resource_path, '/', 4) = '' THEN ''
                                     ELSE '/' || split_part(resource_path, '/', 4) END
                    ELSE '/' || split_part(resource_path, '/', 3)
                END
            ELSE coalesce(resource, resource_id)
        END AS rkey
    FROM events
    WHERE day >= $since AND day <= $day
      AND identity_id IS NOT NULL
      AND list_contains($kinds, identity_kind)
),
today AS (
    SELECT
        identity_id, rkey,
        any_value(identity_kind) AS identity_kind,
        any_value(identity_name) AS identity_name,
        any_value(app_id) AS app_id,
        any_value(blueprint) AS blueprint,
        any_value(sponsor) AS sponsor,
        any_value(kind_source) AS kind_source,
        any_value(on_behalf_of_id) AS on_behalf_of_id,
        any_value(peer_group) AS peer_group,
        max(sensitivity) AS sensitivity,
        count(*) AS requests,
        min(event_time) AS window_start,
        max(event_time) AS window_end,
        array_slice(list(event_id ORDER BY event_time), 1, 100) AS evidence
    FROM keyed
    WHERE day = $day AND rkey IS NOT NULL
    GROUP BY identity_id, rkey
),
history AS (
    SELECT DISTINCT identity_id, peer_group, rkey FROM keyed WHERE day < $day
),
own_days AS (
    SELECT identity_id, count(DISTINCT day) AS history_days
    FROM keyed WHERE day < $day GROUP BY identity_id
),
peers AS (
    SELECT peer_group, count(DISTINCT identity_id) AS peer_count
    FROM history GROUP BY peer_group
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
)
SELECT
    n.*,
    coalesce(o.history_days, 0) AS history_days,
    -- peers exclude the identity itself (it never used the resource before)
    greatest(coalesce(p.peer_count, 0) - CASE WHEN o.history_days > 0 THEN 1 ELSE 0 END, 0)
        AS peer_count,
    coalesce(u.peer_users, 0) AS peer_users,
    coalesce(tu.tenant_users, 0) AS tenant_users,
    (SELECT tenant_identities FROM tenant) AS tenant_identities
FROM new_for_identity n
LEFT JOIN own_days o USING (identity_id)
LEFT JOIN peers p ON p.peer_group = n.peer_group
LEFT JOIN peer_use u ON u.peer_group = n.peer_group AND u.rkey = n.rkey
LEFT JOIN tenant_use tu ON tu.rkey = n.rkey
ORDER BY n.identity_id, n.rkey
