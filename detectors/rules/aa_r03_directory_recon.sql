-- AA-R03: directory enumeration (users, groups, roles, apps, service principals, devices) on the
-- judged day per identity, with the identity's daily enumeration history.
WITH enum AS (
    SELECT
        identity_id, identity_kind, identity_name, app_id, blueprint, sponsor, kind_source,
        on_behalf_of_id, event_id, event_time, day, resource_path, request_uri,
        split_part(resource_path, '/', 2) AS collection
    FROM events
    WHERE day >= $since AND day <= $day
      AND table_name = 'activity'
      AND coalesce(upper(operation), 'GET') = 'GET'
      AND split_part(resource_path, '/', 2) IN (
          'users', 'groups', 'directoryroles', 'rolemanagement', 'applications',
          'serviceprincipals', 'devices', 'directoryobjects', 'contacts', 'administrativeunits',
          'oauth2permissiongrants', 'directoryroletemplates', 'domains'
      )
      -- listing a collection (/users, /groups/{id}/members) or looking objects up one by one
      -- (/users/{id}); reading an object's content (/users/{id}/messages) is not enumeration
      AND (split_part(resource_path, '/', 2) = 'rolemanagement'
           OR (split_part(resource_path, '/', 3) IN ('', '{id}')
               AND split_part(resource_path, '/', 4) IN (
                   '', 'members', 'memberof', 'transitivemembers', 'transitivememberof',
                   'owners', 'registeredowners', 'ownedobjects', 'approleassignments',
                   'approleassignedto', 'oauth2permissiongrants', 'directoryroles')))
      -- the caller's own profile is not reconnaissance
      AND NOT (identity_kind IN ('human', 'guest') AND resource_path = '/users/{id}'
               AND contains(lower(request_uri), identity_id))
),
today AS (
    SELECT
        identity_id,
        any_value(identity_kind) AS identity_kind,
        any_value(identity_name) AS identity_name,
        any_value(app_id) AS app_id,
        any_value(blueprint) AS blueprint,
        any_value(sponsor) AS sponsor,
        any_value(kind_source) AS kind_source,
        any_value(on_behalf_of_id) AS on_behalf_of_id,
        count(*) AS requests,
        count(DISTINCT request_uri) AS distinct_uris,
        count(DISTINCT collection) AS collections,
        string_agg(DISTINCT collection, ', ' ORDER BY collection) AS collection_list,
        min(event_time) AS window_start,
        max(event_time) AS window_end,
        array_slice(list(event_id ORDER BY event_time), 1, 500) AS evidence
    FROM enum
    WHERE day = $day
    GROUP BY identity_id
),
history AS (
    SELECT identity_id, day, count(*) AS n
    FROM enum
    WHERE day < $day AND identity_id IN (SELECT identity_id FROM today)
    GROUP BY identity_id, day
),
active_days AS (
    SELECT identity_id, count(DISTINCT day) AS history_days
    FROM events
    WHERE day >= $since AND day < $day AND identity_id IN (SELECT identity_id FROM today)
    GROUP BY identity_id
),
stats AS (
    -- days without any enumeration count as 0
    SELECT
        a.identity_id,
        a.history_days,
        coalesce(sum(h.n), 0) AS history_requests,
        coalesce(max(h.n), 0) AS max_requests,
        coalesce(quantile_cont(h.n, 0.95), 0) AS p95_enumerating_days
    FROM active_days a LEFT JOIN history h USING (identity_id)
    GROUP BY a.identity_id, a.history_days
)
SELECT
    t.*,
    coalesce(s.history_days, 0) AS history_days,
    coalesce(s.history_requests, 0) AS history_requests,
    coalesce(s.max_requests, 0) AS max_requests,
    coalesce(s.p95_enumerating_days, 0) AS p95_requests
FROM today t LEFT JOIN stats s USING (identity_id)
WHERE t.requests >= $min_requests
ORDER BY t.identity_id
