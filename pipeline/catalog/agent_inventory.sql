-- The auditor's badge: one row per agent (agent identity, agent user, blueprint, or anything the
-- registry declares), with the evidence a governance review asks for, judged over the 30 days
-- before the lake's latest day:
-- * credentials from the audits' KeyDescription properties (Entra logs the holder's full key list
--   after each change in new_value): count, types, oldest age, last added, soonest expiry (only
--   when a key description carries EndDate=…);
-- * permissions granted (permission_grants, minus later removals) and which of them went unused:
--   a Microsoft Graph permission counts as used when the agent called a path of its family in the
--   window (permission_families); directory roles and permissions of unknown family are not
--   judged. Each unused one comes with the Graph call or portal step that removes it;
-- * access packages held (access_assignments: delivered, not removed, not expired), with expiry;
-- * declared resources (registry) vs observed resources, PII / sensitive categories touched,
--   Conditional Access coverage of successful sign-ins, findings by severity, last sign-in.
CREATE OR REPLACE {temp} VIEW agent_inventory AS
WITH
horizon AS (
    SELECT coalesce(max(day), current_date) AS last_day,
           coalesce(max(day), current_date) - 29 AS since
    FROM identity_day
),
agents AS (
    SELECT i.*
    FROM identities AS i
    WHERE i.actor_kind IN ('agent_identity', 'agent_user', 'agent_blueprint') OR i.registered
),
-- an app registration's changes count for its service principal (one identity)
holder_keys AS (
    SELECT
        a.event_id,
        a.event_time,
        coalesce(p.sp_id, lower(a.t.id)) AS identity_id,
        lower(a.t.id) AS object_id,  -- the registration and the principal keep lists of their own
        a.t.modified['KeyDescription'] AS kd
    FROM (SELECT event_id, event_time, unnest(targets) AS t FROM audits
          WHERE NOT conflicting_duplicate
            AND lower(coalesce(result, 'success')) IN ('success', '')) AS a(event_id, event_time, t)
    LEFT JOIN app_of_object AS ao ON ao.object_id = lower(a.t.id)
    LEFT JOIN principal_of_app AS p ON p.app_id = ao.app_id
    WHERE a.t.modified['KeyDescription'] IS NOT NULL
),
key_lists AS (
    SELECT
        identity_id,
        object_id,
        event_id,
        event_time,
        regexp_extract_all(coalesce(kd.new_value, ''), '\[KeyIdentifier=[^\]]*\]') AS new_keys,
        regexp_extract_all(coalesce(kd.old_value, ''), '\[KeyIdentifier=[^\]]*\]') AS old_keys
    FROM holder_keys
),
key_seen AS (
    -- when each key description first appeared in a holder's list
    SELECT identity_id, regexp_extract(k, 'KeyIdentifier=([^,\]]*)', 1) AS key_id,
           min(event_time) AS first_seen
    FROM (SELECT identity_id, event_time, unnest(new_keys) AS k FROM key_lists)
    GROUP BY ALL
),
current_keys AS (
    -- each object's latest list holds its keys now
    SELECT identity_id, object_id, unnest(arg_max(new_keys, event_time)) AS k,
           max(event_time) FILTER (WHERE len(list_filter(new_keys,
               lambda x: NOT list_contains(old_keys, x))) > 0) AS last_added
    FROM key_lists
    GROUP BY identity_id, object_id
),
credentials AS (
    SELECT
        c.identity_id,
        count(c.k) AS credential_count,
        list_sort(list_distinct(list(regexp_extract(c.k, 'KeyType=([^,\]]*)', 1))))
            AS credential_types,
        date_diff('day', min(s.first_seen), any_value(h.last_day)::TIMESTAMPTZ)
            AS oldest_credential_days,
        max(c.last_added) AS credential_last_added,
        min(try_cast(nullif(regexp_extract(c.k, 'EndDate=([^,\]]*)', 1), '') AS TIMESTAMPTZ))
            AS credential_soonest_expiry
    FROM current_keys AS c
    CROSS JOIN horizon AS h
    LEFT JOIN key_seen AS s
      ON s.identity_id = c.identity_id
     AND s.key_id = regexp_extract(c.k, 'KeyIdentifier=([^,\]]*)', 1)
    WHERE c.k IS NOT NULL
    GROUP BY c.identity_id
),
grant_rows AS (
    SELECT
        g.grantee_id AS identity_id,
        g.event_id,
        g.event_time,
        g.resource_name,
        CASE WHEN regexp_matches(lower(g.activity), 'member to role') THEN 'directory_role'
             WHEN regexp_matches(lower(g.activity), 'app role assignment') THEN 'app_role'
             ELSE 'delegated' END AS grant_kind,
        regexp_matches(lower(g.activity), '^\s*(remove|delete)') AS removal,
        trim(p) AS permission
    FROM permission_grants AS g, unnest(string_split(coalesce(g.granted, ''), ',')) AS u(p)
    WHERE trim(p) <> ''
),
granted AS (
    -- the latest event per identity x permission decides whether it is still held
    SELECT identity_id, arg_min(permission, event_time) AS permission,
           arg_max(grant_kind, event_time) AS grant_kind,
           arg_max(resource_name, event_time) AS resource_name,
           arg_max(event_id, event_time) AS grant_event_id,
           NOT arg_max(removal, event_time) AS held
    FROM grant_rows
    GROUP BY identity_id, lower(permission)
),
window_paths AS (
    SELECT v.identity_id, v.value AS resource_path, sum(v.events) AS events
    FROM identity_day_values AS v, horizon AS h
    WHERE v.dimension = 'resource_path' AND v.day BETWEEN h.since AND h.last_day
    GROUP BY ALL
),
judged AS (
    SELECT
        g.*,
        f.path_regex,
        f.path_regex IS NOT NULL AND g.grant_kind <> 'directory_role' AS judgeable,
        EXISTS (SELECT 1 FROM window_paths AS w
                WHERE w.identity_id = g.identity_id
                  AND regexp_matches(w.resource_path, f.path_regex)) AS used
    FROM granted AS g
    LEFT JOIN permission_families AS f
      ON regexp_matches(lower(g.permission), f.permission_regex)
    WHERE g.held
    QUALIFY row_number() OVER (PARTITION BY g.identity_id, lower(g.permission)
                               ORDER BY f.priority) = 1
),
permissions AS (
    SELECT
        identity_id,
        list_sort(list(permission)) AS granted_permissions,
        list(struct_pack(
            permission := permission,
            grant_kind := grant_kind,
            resource := resource_name,
            grant_event_id := grant_event_id,
            remove := CASE grant_kind
                WHEN 'app_role' THEN 'DELETE /servicePrincipals/{id}/appRoleAssignments/'
                    || '{appRoleAssignment-id} (Entra admin center: Enterprise applications > '
                    || 'the agent > Permissions > Revoke permission)'
                ELSE 'PATCH /oauth2PermissionGrants/{grant-id} with the scope removed from '
                    || '"scope" (DELETE it when none is left; Entra admin center: Enterprise '
                    || 'applications > the agent > Permissions > Revoke permission)'
            END) ORDER BY permission) FILTER (WHERE judgeable AND NOT used)
            AS unused_permissions
    FROM judged
    GROUP BY identity_id
),
observed AS (
    -- resources by name (sign-ins, M365 workloads) and Graph paths cut to three segments
    SELECT v.identity_id,
           list_sort(list(DISTINCT CASE WHEN v.dimension = 'resource'
                                        THEN v.value
                                        ELSE regexp_extract(v.value, '^(/[^/]+(/[^/]+){0,2})')
                                   END)) AS observed_resources
    FROM identity_day_values AS v, horizon AS h
    WHERE ((v.dimension = 'resource' AND NOT starts_with(v.value, '/'))
           OR v.dimension = 'resource_path')
      AND v.day BETWEEN h.since AND h.last_day
    GROUP BY v.identity_id
),
touched AS (
    SELECT w.identity_id, list_sort(list(DISTINCT ps.tag)) AS pii_categories
    FROM window_paths AS w
    JOIN path_sensitivity AS ps ON ps.resource_path = w.resource_path
    WHERE ps.tag IS NOT NULL AND ps.tag <> ''
    GROUP BY w.identity_id
),
coverage AS (
    -- successful sign-ins in the window by the signins table alone (no identity resolution, so
    -- it stays cheap at scale), under the service principal and the user (agent users) they name
    SELECT
        key AS identity_id,
        count(*) AS signins_30d,
        -- success / failure: a policy applied; notApplied: none did; no status: not counted
        avg(CASE lower(replace(coalesce(conditional_access_status, ''), '_', ''))
                WHEN 'notapplied' THEN 0 WHEN 'success' THEN 1 WHEN 'failure' THEN 1
            END) AS ca_coverage,
        max(event_time) AS last_signin
    FROM (
        SELECT unnest(list_distinct([lower(s.service_principal_id), lower(s.user_id)])) AS key,
               s.conditional_access_status, s.event_time
        FROM signins AS s, horizon AS h
        WHERE s.date BETWEEN h.since AND h.last_day
          AND s.succeeded IS NOT false AND NOT s.conflicting_duplicate
    )
    WHERE key IS NOT NULL
    GROUP BY key
),
last_signins AS (
    SELECT identity_id, max(last_time) AS last_signin
    FROM identity_day WHERE signins > 0 GROUP BY identity_id
),
packages AS (
    -- access packages it holds (delivered, not removed), soonest expiry first
    SELECT
        identity_id,
        list(struct_pack(
            access_package := coalesce(access_package, access_package_id, '(unnamed package)'),
            catalog := catalog,
            request_path := request_path,
            approved_by := approved_by,
            assigned_at := assigned_at,
            expires_at := expires_at,
            privileged := privileged
        ) ORDER BY expires_at NULLS LAST, access_package) AS access_packages
    FROM access_assignments, horizon AS h
    WHERE removed_at IS NULL AND assigned_at IS NOT NULL
      AND (expires_at IS NULL OR CAST(expires_at AS DATE) > h.last_day)  -- expired: not held
      AND coalesce(status, 'delivered') NOT IN ('denied', 'failed', 'removed')
    GROUP BY identity_id
),
found AS (
    SELECT
        lower(identity_id) AS identity_id,
        count(*) FILTER (WHERE severity = 'critical') AS findings_critical,
        count(*) FILTER (WHERE severity = 'high') AS findings_high,
        count(*) FILTER (WHERE severity = 'medium') AS findings_medium,
        count(*) FILTER (WHERE severity = 'low') AS findings_low
    FROM findings
    WHERE NOT coalesce(suppressed, false)
    GROUP BY 1
)
SELECT
    a.identity_id,
    a.name,
    a.actor_kind AS kind,
    a.blueprint,
    a.creation_channel,
    a.creation_channel_evidence,
    a.sponsor,
    a.owners,
    a.registered,
    struct_pack(
        count := coalesce(c.credential_count, 0),
        types := coalesce(c.credential_types, []),
        oldest_age_days := c.oldest_credential_days,
        last_added := c.credential_last_added,
        soonest_expiry := c.credential_soonest_expiry
    ) AS credentials,
    coalesce(pk.access_packages, []) AS access_packages,
    cv.ca_coverage AS conditional_access_coverage,
    coalesce(r.allowed_resources, []) AS declared_resources,
    coalesce(o.observed_resources, []) AS observed_resources,
    coalesce(p.granted_permissions, []) AS granted_permissions,
    coalesce(p.unused_permissions, []) AS unused_permissions,
    coalesce(t.pii_categories, []) AS pii_categories,
    struct_pack(
        critical := coalesce(f.findings_critical, 0),
        high := coalesce(f.findings_high, 0),
        medium := coalesce(f.findings_medium, 0),
        low := coalesce(f.findings_low, 0)
    ) AS findings,
    coalesce(cv.last_signin, ls.last_signin) AS last_signin
FROM agents AS a
LEFT JOIN registry AS r ON r.id = a.identity_id
LEFT JOIN credentials AS c ON c.identity_id = a.identity_id
LEFT JOIN permissions AS p ON p.identity_id = a.identity_id
LEFT JOIN observed AS o ON o.identity_id = a.identity_id
LEFT JOIN touched AS t ON t.identity_id = a.identity_id
LEFT JOIN coverage AS cv ON cv.identity_id = a.identity_id
LEFT JOIN last_signins AS ls ON ls.identity_id = a.identity_id
LEFT JOIN packages AS pk ON pk.identity_id = a.identity_id
LEFT JOIN found AS f ON f.identity_id = a.identity_id
