-- AA-R03: directory enumeration (users, groups, roles, apps, service principals, devices) on the
-- judged day per identity, with the identity's daily enumeration history over the look-back
-- window (history_day_values, dimension resource_path; days it was active but did not enumerate
-- count as 0). Enumeration = listing a collection (/users, /groups/{id}/members) or looking
-- objects up one by one (/users/{id}); reading an object's content (/users/{id}/messages) is not.
WITH enum_paths AS (
    SELECT DISTINCT value AS resource_path
    FROM (
        SELECT resource_path AS value FROM day_events
        WHERE day = $day AND table_name = 'activity'
        UNION ALL
        SELECT value FROM history_values WHERE dimension = 'resource_path'
    )
    WHERE split_part(value, '/', 2) IN (
          'users', 'groups', 'directoryroles', 'rolemanagement', 'applications',
          'serviceprincipals', 'devices', 'directoryobjects', 'contacts', 'administrativeunits',
          'oauth2permissiongrants', 'directoryroletemplates', 'domains')
      AND (split_part(value, '/', 2) = 'rolemanagement'
           OR (split_part(value, '/', 3) IN ('', '{id}')
               AND split_part(value, '/', 4) IN (
                   '', 'members', 'memberof', 'transitivemembers', 'transitivememberof',
                   'owners', 'registeredowners', 'ownedobjects', 'approleassignments',
                   'approleassignedto', 'oauth2permissiongrants', 'directoryroles')))
),
enum_today AS (
    SELECT e.*, split_part(e.resource_path, '/', 2) AS collection
    FROM day_events e
    SEMI JOIN enum_paths p ON p.resource_path = e.resource_path
    WHERE e.day = $day
      AND e.table_name = 'activity'
      AND coalesce(upper(e.operation), 'GET') = 'GET'
      -- a person opening their own profile is not reconnaissance
      AND NOT (e.identity_kind IN ('human', 'guest') AND e.resource_path = '/users/{id}'
               AND contains(lower(e.request_uri), e.identity_id))
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
        array_slice(list(DISTINCT resource_path ORDER BY resource_path), 1, 50) AS paths,
        min(event_time) AS window_start,
        max(event_time) AS window_end,
        array_slice(list(event_id ORDER BY event_time), 1, 500) AS evidence
    FROM enum_today
    GROUP BY identity_id
    HAVING count(*) >= $min_requests
),
history AS (
    SELECT v.identity_id, v.day, CAST(sum(v.events) AS BIGINT) AS n
    FROM history_day_values v
    SEMI JOIN enum_paths p ON p.resource_path = v.value
    WHERE v.dimension = 'resource_path'
      AND v.identity_id IN (SELECT identity_id FROM today)
    GROUP BY v.identity_id, v.day
),
active_days AS (
    SELECT identity_id, day
    FROM history_days
    WHERE identity_id IN (SELECT identity_id FROM today)
),
stats AS (
    SELECT
        a.identity_id,
        count(*) AS history_days,
        sum(coalesce(h.n, 0)) AS history_requests,
        max(coalesce(h.n, 0)) AS max_requests,
        quantile_cont(coalesce(h.n, 0), 0.95) AS p95_requests
    FROM active_days a LEFT JOIN history h USING (identity_id, day)
    GROUP BY a.identity_id
)
SELECT
    t.*,
    coalesce(s.history_days, 0) AS history_days,
    coalesce(s.history_requests, 0) AS history_requests,
    coalesce(s.max_requests, 0) AS max_requests,
    coalesce(s.p95_requests, 0) AS p95_requests,
    (SELECT count(DISTINCT day) FROM history_days) AS tenant_days
FROM today t LEFT JOIN stats s USING (identity_id)
ORDER BY t.identity_id
