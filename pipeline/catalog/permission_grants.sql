-- Every role, app role, consent or delegated permission grant in the audits, one row per grant
-- event with the identity that RECEIVED it (the grantee), which is not always a target:
-- * an app role assignment is logged on the resource API (Microsoft Graph) and names the client
--   in its 'ServicePrincipal.ObjectID' / 'ServicePrincipal.AppId' properties;
-- * a delegated permission grant is logged on the resource API too; its client is the target of
--   the 'Consent to application' with the same correlation id (or 'DelegatedPermissionGrant.ClientId');
-- * otherwise the grantee is the first registered agent, agent, service principal or application
--   target (never a role, a user, or a target that carries the grant's own properties).
-- `granted` names what was given: app role values, delegated scopes (also those inside a
-- consent's ConsentAction.Permissions 'Scope: …'), role names. app ids are resolved by app_links.
CREATE OR REPLACE {temp} VIEW permission_grants AS
WITH grants AS (
    SELECT
        a.*,
        flatten(list_transform(a.targets, lambda t: coalesce(t.modified_properties, []))) AS props
    FROM audits AS a
    WHERE regexp_matches(lower(coalesce(a.activity, '')),
        'app role assignment|consent to application|delegated permission grant'
        || '|oauth2permissiongrant|add (eligible )?member to role|add scoped member to role')
      AND lower(coalesce(a.result, 'success')) IN ('success', '')
      AND NOT a.conflicting_duplicate  -- a later version of an event counts once
),
named AS (
    SELECT
        g.*,
        list_filter(g.props, lambda m: lower(m.name) = 'serviceprincipal.objectid')[1].new_value
            AS client_said,
        list_filter(g.props, lambda m: lower(m.name) = 'delegatedpermissiongrant.clientid')[1]
            .new_value AS delegated_client,
        list_filter(g.targets, lambda t: len(list_filter(coalesce(t.modified_properties, []),
            lambda m: regexp_matches(lower(coalesce(m.name, '')),
                '^(delegatedpermissiongrant|approle|approleassignment)\.'))) > 0)[1] AS resource,
        concat_ws(', ',
            list_aggregate(list_transform(g.props,
                lambda m: CASE
                    WHEN regexp_matches(lower(coalesce(m.name, '')),
                        '^(approle\.value|approle\.displayname|role\.displayname'
                        || '|delegatedpermissiongrant\.scope)$')
                    THEN nullif(trim(coalesce(m.new_value, ''), '"[] '), '')
                    WHEN lower(coalesce(m.name, '')) = 'consentaction.permissions'
                    THEN nullif(trim(array_to_string(
                        regexp_extract_all(m.new_value, 'Scope:\s*([^,\]]*)', 1), ' ')), '')
                END), 'string_agg', ', '),
            list_aggregate(list_transform(g.targets,
                lambda t: CASE WHEN lower(coalesce(t.type, '')) IN ('role', 'directoryrole')
                    THEN t.display_name END), 'string_agg', ', ')
        ) AS granted
    FROM grants AS g
),
consents AS (
    SELECT correlation_id, arg_min(t, pos) AS client
    FROM (
        SELECT correlation_id, unnest(targets) AS t, generate_subscripts(targets, 1) AS pos
        FROM grants
        WHERE lower(activity) LIKE 'consent to application%' AND correlation_id IS NOT NULL
    )
    WHERE lower(coalesce(t.type, '')) IN ('serviceprincipal', 'application')
    GROUP BY correlation_id
),
ranked AS (
    SELECT n.event_id, t, pos,
        CASE
            WHEN EXISTS (SELECT 1 FROM registry_keys AS k WHERE k.key = lower(t.id)) THEN 1
            WHEN t.agent_type IS NOT NULL THEN 2
            WHEN lower(coalesce(t.type, '')) IN ('serviceprincipal', 'application') THEN 3
        END AS preference
    FROM (SELECT event_id, resource, unnest(targets) AS t, generate_subscripts(targets, 1) AS pos
          FROM named) AS n
    -- compared as JSON text: the same on DuckDB, and Spark cannot compare structs holding maps
    WHERE t.id IS NOT NULL AND to_json(t) IS DISTINCT FROM to_json(n.resource)
),
by_target AS (
    SELECT event_id, arg_min(t, preference * 1000 + pos) AS target
    FROM ranked WHERE preference IS NOT NULL
    GROUP BY event_id
),
resolved AS (
    SELECT
        n.*,
        coalesce(n.client_said, n.delegated_client, c.client.id, b.target.id) AS grantee_object,
        CASE
            WHEN n.client_said IS NOT NULL OR n.delegated_client IS NOT NULL THEN 'named'
            WHEN c.client.id IS NOT NULL AND n.resource IS NOT NULL THEN 'consent'
            WHEN b.target.id IS NOT NULL THEN 'target'
        END AS grantee_source,
        CASE WHEN n.client_said IS NULL AND n.delegated_client IS NULL THEN
            coalesce(CASE WHEN n.resource IS NOT NULL THEN c.client END, b.target) END AS grantee
    FROM named AS n
    LEFT JOIN consents AS c ON c.correlation_id = n.correlation_id
    LEFT JOIN by_target AS b ON b.event_id = n.event_id
)
SELECT
    r.event_id,
    r.event_time,
    r.date,
    r.activity,
    r.correlation_id,
    r.initiator_kind,
    coalesce(r.initiator_name, r.initiator_id, r.initiator_app_id) AS initiator,
    r.initiator_id,
    r.initiator_app_id,
    r.user_agent,
    lower(r.grantee_object) AS grantee_id,
    coalesce(r.grantee.display_name,
        list_filter(r.props, lambda m: lower(m.name) = 'serviceprincipal.displayname')[1]
            .new_value) AS grantee_name,
    coalesce(lower(r.grantee.type), 'serviceprincipal') AS grantee_type,
    r.grantee.agent_type AS grantee_agent_type,
    r.grantee_source,
    coalesce(
        lower(list_filter(r.props, lambda m: lower(m.name) = 'serviceprincipal.appid')[1].new_value),
        (SELECT min(l.app_id) FROM app_links AS l WHERE l.object_id = lower(r.grantee_object))
    ) AS grantee_app_id,
    r.resource.display_name AS resource_name,
    nullif(r.granted, '') AS granted
FROM resolved AS r
WHERE r.grantee_object IS NOT NULL
