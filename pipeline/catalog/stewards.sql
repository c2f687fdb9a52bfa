-- Who answers for each identity: its sponsor and its owners, one row per identity, with where
-- each fact came from (DESIGN.md section 11, "the accountable human"). Sources, in order:
-- * the registry ([[agents]] sponsor / owner): what the organisation declared;
-- * the directory audits: 'Add owner to service principal' / 'Add owner to application' and their
--   'Remove owner from …' (the owner is the User or ServicePrincipal target, the owned object the
--   other target or the 'ServicePrincipal.ObjectID' / 'Application.ObjectID' property; an
--   application's owner is tied to its service principal through app_of_object /
--   principal_of_app); an owner is current while its latest add is not followed by a removal.
--   Sponsors: the audit reference lists no sponsor activity of its own, so a sponsor is read from
--   a 'Sponsors' modified property (its new value is the whole list after the change, as Graph's
--   agentIdentity sponsors relationship is written), or from an activity whose name says it adds
--   or removes a sponsor, its User target being the sponsor;
-- * Defender's agent inventory (agent_facts: the latest snapshot's owners, then created_by).
-- Every value is log text: it is only compared and carried, never executed.
CREATE OR REPLACE {temp} VIEW stewards AS
WITH
ok_audits AS (
    SELECT a.*, lower(coalesce(a.activity, '')) AS act
    FROM audits AS a
    WHERE lower(coalesce(a.result, 'success')) IN ('success', '')
      AND NOT a.conflicting_duplicate  -- a later version of an event counts once
),
owner_events AS (
    SELECT
        a.event_id,
        a.event_time,
        starts_with(a.act, 'remove') AS removed,
        a.targets,
        flatten(list_transform(a.targets, lambda t: coalesce(t.modified_properties, []))) AS props
    FROM ok_audits AS a
    WHERE regexp_matches(a.act, '^(add|remove) owner (to|from) (service principal|application)')
),
owner_said AS (
    SELECT
        e.*,
        -- the owned object: named by a property, else the non-user target that is not the owner
        nullif(trim(coalesce(
            list_filter(e.props, lambda m: lower(m.name) IN
                ('serviceprincipal.objectid', 'application.objectid'))[1].new_value,
            list_filter(e.props, lambda m: lower(m.name) IN
                ('serviceprincipal.objectid', 'application.objectid'))[1].old_value), '"[] '), '')
            AS object_said,
        nullif(trim(coalesce(
            list_filter(e.props, lambda m: lower(m.name) IN
                ('serviceprincipal.appid', 'application.appid'))[1].new_value,
            list_filter(e.props, lambda m: lower(m.name) IN
                ('serviceprincipal.appid', 'application.appid'))[1].old_value), '"[] '), '')
            AS app_said,
        list_filter(e.targets, lambda t: lower(coalesce(t.type, '')) = 'user')[1] AS user_target,
        nullif(trim(coalesce(
            list_filter(e.props, lambda m: lower(m.name) = 'principal.userprincipalname')[1]
                .new_value,
            list_filter(e.props, lambda m: lower(m.name) = 'principal.userprincipalname')[1]
                .old_value), '"[] '), '') AS principal_said
    FROM owner_events AS e
),
owner_parts AS (
    -- real exports: targets[1] is the new owner (User or ServicePrincipal), the other target the
    -- owned object; some writers name the owner in 'Principal.UserPrincipalName' instead
    SELECT
        s.*,
        coalesce(s.user_target,
            CASE WHEN s.principal_said IS NULL AND len(s.targets) > 1 THEN s.targets[1] END)
            AS owner_target
    FROM owner_said AS s
),
owner_rows AS (
    SELECT
        p.*,
        coalesce(p.object_said, list_filter(p.targets, lambda t:
            (lower(coalesce(t.type, '')) IN ('serviceprincipal', 'application')
             OR t.agent_type IS NOT NULL)
            AND t.id IS DISTINCT FROM p.owner_target.id)[1].id) AS object_id,
        CASE WHEN p.user_target IS NULL AND p.principal_said IS NOT NULL THEN p.principal_said
             ELSE coalesce(p.owner_target.user_principal_name, p.owner_target.display_name,
                           p.owner_target.id) END AS owner,
        CASE WHEN p.user_target IS NOT NULL OR p.principal_said IS NOT NULL THEN 'user'
             ELSE 'service_principal' END AS owner_type
    FROM owner_parts AS p
),
owner_changes AS (
    -- an application's owner is the owner of its service principal (the identity findings name)
    -- (joins, not nested scalar subqueries: both views hold one row per key, and Spark does
    -- not correlate a subquery two levels deep)
    SELECT
        lower(coalesce(p.sp_id, o.object_id)) AS identity_id,
        o.owner, o.owner_type, o.removed, o.event_time, o.event_id
    FROM owner_rows AS o
    LEFT JOIN app_of_object AS ao ON ao.object_id = lower(o.object_id)
    LEFT JOIN principal_of_app AS p ON p.app_id = coalesce(lower(o.app_said), ao.app_id)
    WHERE nullif(trim(o.object_id), '') IS NOT NULL AND nullif(trim(o.owner), '') IS NOT NULL
),
audit_owners AS (
    SELECT identity_id, owner, owner_type, event_time, event_id
    FROM owner_changes
    QUALIFY row_number() OVER (PARTITION BY identity_id, lower(owner)
                               ORDER BY event_time DESC, removed DESC, event_id DESC) = 1
        AND NOT removed
),
sponsor_lists AS (
    -- 'Sponsors' property: the list after the change (an empty list: no sponsor any more)
    SELECT
        event_id,
        event_time,
        lower(t.id) AS identity_id,
        m.new_value AS said
    FROM (SELECT event_id, event_time, t, unnest(coalesce(t.modified_properties, [])) AS m
          FROM (SELECT event_id, event_time, unnest(targets) AS t FROM ok_audits))
    WHERE lower(coalesce(m.name, '')) = 'sponsors' AND t.id IS NOT NULL
),
sponsor_set AS (
    SELECT
        event_id, event_time, identity_id,
        coalesce((CASE WHEN json_valid(said) AND starts_with(trim(said), '[')
                       THEN json_extract_string(said, '$[*]')
                       ELSE [said] END)[1], '') AS sponsor
    FROM sponsor_lists
),
sponsor_named AS (
    -- 'Add sponsor …' / 'Remove sponsor …': the User target is the sponsor, the other the agent
    SELECT
        a.event_id,
        a.event_time,
        lower(list_filter(a.targets, lambda t: lower(coalesce(t.type, '')) <> 'user')[1].id)
            AS identity_id,
        CASE WHEN starts_with(a.act, 'remove') THEN ''
             ELSE coalesce(a.u.user_principal_name, a.u.display_name, a.u.id, '') END AS sponsor
    FROM (SELECT *, list_filter(targets, lambda t: lower(coalesce(t.type, '')) = 'user')[1] AS u
          FROM ok_audits WHERE regexp_matches(act, '^(add|remove)\b.*\bsponsors?\b')) AS a
),
audit_sponsor AS (
    -- the latest change decides ('' when it removed the sponsor)
    SELECT identity_id, nullif(trim(arg_max(sponsor, (event_time, event_id))), '') AS sponsor,
           arg_max(event_id, (event_time, event_id)) AS event_id
    FROM (SELECT * FROM sponsor_set UNION ALL SELECT * FROM sponsor_named)
    WHERE identity_id IS NOT NULL
    GROUP BY identity_id
),
inventory AS (
    SELECT
        lower(entra_agent_id) AS identity_id,
        arg_max(owners, event_time) AS owners,
        arg_max(created_by, event_time) AS created_by,
        arg_max(event_id, event_time) AS event_id,
        max(event_time) AS event_time
    FROM agent_facts
    WHERE entra_agent_id IS NOT NULL AND NOT conflicting_duplicate
    GROUP BY 1
),
owner_facts AS (
    SELECT lower(id) AS identity_id, owner, 'user' AS owner_type, 'registry' AS source,
           CAST(NULL AS TIMESTAMPTZ) AS since, CAST(NULL AS VARCHAR) AS event_id, 1 AS rank
    FROM registry WHERE nullif(trim(owner), '') IS NOT NULL
    UNION ALL
    SELECT identity_id, owner, owner_type, 'audit', event_time, event_id, 2 FROM audit_owners
    UNION ALL
    SELECT identity_id, unnest(owners), 'user', 'defender_inventory', event_time, event_id, 3
    FROM inventory
    UNION ALL
    SELECT identity_id, created_by, 'user', 'defender_created_by', event_time, event_id, 4
    FROM inventory WHERE nullif(trim(created_by), '') IS NOT NULL
),
owners AS (
    SELECT
        identity_id,
        list(owner ORDER BY rank, since, owner) AS owners,
        list({'owner': owner, 'owner_type': owner_type, 'source': source, 'since': since,
              'event_id': event_id} ORDER BY rank, since, owner) AS owner_facts
    FROM (
        SELECT * FROM owner_facts
        WHERE nullif(trim(owner), '') IS NOT NULL AND identity_id IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY identity_id, lower(trim(owner))
                                   ORDER BY rank, since, event_id) = 1
    )
    GROUP BY identity_id
),
sponsors AS (
    SELECT lower(id) AS identity_id, sponsor, 'registry' AS sponsor_source,
           CAST(NULL AS VARCHAR) AS sponsor_event_id
    FROM registry WHERE nullif(trim(sponsor), '') IS NOT NULL
    UNION ALL
    SELECT identity_id, sponsor, 'audit', event_id FROM audit_sponsor
    WHERE sponsor IS NOT NULL
      AND identity_id NOT IN (SELECT lower(id) FROM registry
                              WHERE nullif(trim(sponsor), '') IS NOT NULL)
)
SELECT
    coalesce(s.identity_id, o.identity_id) AS identity_id,
    s.sponsor,
    s.sponsor_source,
    s.sponsor_event_id,
    coalesce(o.owners, CAST([] AS VARCHAR[])) AS owners,
    coalesce(o.owner_facts, []) AS owner_facts
FROM sponsors AS s
FULL OUTER JOIN owners AS o ON o.identity_id = s.identity_id
