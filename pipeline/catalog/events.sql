-- The unified `events` view: one row per sign-in and per activity record, with the acting
-- identity resolved in DESIGN.md section 5 order (Entra agent fields, registry, log category).
-- Registry lookups go through registry_keys (key -> agent id); agent apps seen in agent sign-ins
-- come from the agent_directory rollup, so activity by a known agent resolves to that agent.
-- Activity sensitivity comes from path_sensitivity (paths of rolled-up days): run
-- pipeline.baselines.update before reading the sensitivity of new days.
-- identity_name: the registry's or the record's own name, else the name the catalogue knows for
-- that id (known_names), so that a Graph activity row of a person is not a bare GUID.
-- Every row is here, the later versions of an event (same id, other content) too, flagged
-- conflicting_duplicate; the detectors' and baselines' day inputs (day_events, rollup_input)
-- count an event once: they read WHERE NOT conflicting_duplicate.
CREATE OR REPLACE {temp} VIEW events AS
WITH
reg AS (
    SELECT k.key, r.* FROM registry_keys k JOIN registry r ON r.id = k.agent_id
),
dir AS (
    SELECT key, kind, identity_id, blueprint, name FROM agent_directory
    QUALIFY row_number() OVER (PARTITION BY key ORDER BY last_seen DESC, identity_id) = 1
),
known_names AS (
    -- the name the catalogue knows for each id, for the rows whose own record names nobody (a
    -- Graph activity record carries ids only): the rolled-up days' names (sign-ins name people,
    -- service principals and agents; an agent's or service principal's app id names it too),
    -- directory audits' initiators and targets, Defender's inventory; the latest name wins.
    -- From the small tables only (identity_day, not every sign-in), as this view is read once
    -- a judged day: a person first seen today is named once today is rolled up
    SELECT key, arg_max(name, seen) AS name
    FROM (
        SELECT identity_id AS key, identity_name AS name, last_time AS seen FROM identity_day
        UNION ALL
        SELECT app_id, identity_name, last_time FROM identity_day
        WHERE identity_kind NOT IN ('human', 'guest', 'agent_user')  -- a person's is the client's
        UNION ALL
        SELECT lower(coalesce(initiator_id, initiator_app_id)), initiator_name, event_time
        FROM audits
        UNION ALL
        SELECT lower(t.target.id), coalesce(t.target.user_principal_name, t.target.display_name),
               t.event_time
        FROM (SELECT unnest(targets) AS target, event_time FROM audits) t
        UNION ALL
        SELECT lower(entra_agent_id), agent_name, event_time FROM agent_facts
    )
    WHERE key IS NOT NULL AND name IS NOT NULL AND trim(name) <> ''
    GROUP BY key
),
name_tags AS (
    SELECT key, arg_max(tag, priority) AS tag FROM sensitivity_patterns
    WHERE kind = 'name' GROUP BY key
),
s AS (
    SELECT
        s.*,
        CASE WHEN agent_kind(s.agent_subject_type) = 'agent_user' THEN 'agent_user'
             ELSE coalesce(agent_kind(s.agent_type), agent_kind(s.agent_subject_type))
        END AS entra_kind,
        CASE
            WHEN s.log_type = 'managed_identity' THEN 'managed_identity'
            WHEN s.log_type = 'service_principal' THEN 'service_principal'
            WHEN s.user_id IS NOT NULL OR s.user_principal_name IS NOT NULL
                THEN CASE WHEN lower(s.user_type) = 'guest' THEN 'guest' ELSE 'human' END
            WHEN s.actor_kind IN ('human', 'guest', 'service_principal', 'managed_identity')
                THEN s.actor_kind
            WHEN s.service_principal_id IS NOT NULL THEN 'service_principal'
            ELSE 'unknown'
        END AS category_kind
    FROM signins s
),
s2 AS (
    SELECT
        s.*,
        CASE WHEN s.entra_kind = 'agent_user' THEN r_user.id
             ELSE coalesce(r_sp.id, r_user.id, r_app.id) END AS reg_id,
        CASE WHEN s.entra_kind = 'agent_user' THEN r_user.kind
             ELSE coalesce(r_sp.kind, r_user.kind, r_app.kind) END AS reg_kind,
        CASE WHEN s.entra_kind = 'agent_user' THEN r_user.name
             ELSE coalesce(r_sp.name, r_user.name, r_app.name) END AS reg_name,
        CASE WHEN s.entra_kind = 'agent_user' THEN r_user.app_id
             ELSE coalesce(r_sp.app_id, r_user.app_id, r_app.app_id) END AS reg_app_id,
        CASE WHEN s.entra_kind = 'agent_user' THEN r_user.blueprint
             ELSE coalesce(r_sp.blueprint, r_user.blueprint, r_app.blueprint) END AS reg_blueprint,
        CASE WHEN s.entra_kind = 'agent_user' THEN r_user.sponsor
             ELSE coalesce(r_sp.sponsor, r_user.sponsor, r_app.sponsor) END AS reg_sponsor,
        d_app.identity_id AS dir_app_id,
        d_app.blueprint AS dir_blueprint
    FROM s
    LEFT JOIN dir d_app ON d_app.key = lower(s.app_id) AND s.service_principal_id IS NULL
    LEFT JOIN reg r_sp ON r_sp.key = lower(s.service_principal_id)
    LEFT JOIN reg r_user ON r_user.key = lower(s.user_id)
    LEFT JOIN reg r_app ON r_app.key = lower(s.app_id)
),
s3 AS (
    SELECT
        *,
        coalesce(entra_kind, reg_kind, category_kind) AS kind,
        CASE WHEN entra_kind IS NOT NULL THEN 'entra_agent_fields'
             WHEN reg_kind IS NOT NULL THEN 'registry'
             WHEN category_kind <> 'unknown' THEN 'log_category'
             ELSE 'none' END AS kind_source
    FROM s2
),
signin_events AS (
    SELECT
        s.event_id,
        'signins' AS table_name,
        s.event_time,
        s.date AS day,
        hour(s.event_time) AS hour,
        s.tenant_id,
        lower(CASE
            WHEN s.kind IN ('human', 'guest') THEN coalesce(s.user_id, s.user_principal_name)
            WHEN s.kind = 'agent_user'
                THEN coalesce(s.reg_id, s.user_id, s.service_principal_id, s.app_id)
            ELSE coalesce(s.reg_id, s.service_principal_id, s.dir_app_id, s.app_id, s.actor_id,
                          s.user_id)
        END) AS identity_id,
        s.kind AS identity_kind,
        s.kind_source,
        coalesce(s.reg_name, CASE
            WHEN s.kind IN ('human', 'guest', 'agent_user')
                THEN coalesce(s.user_principal_name, s.user_display_name)
            ELSE coalesce(s.service_principal_name, s.app_display_name, s.actor_name)
        END) AS identity_name,
        lower(coalesce(s.app_id, s.reg_app_id)) AS app_id,
        lower(coalesce(s.agent_parent_app_id, s.reg_blueprint, s.dir_blueprint)) AS blueprint,
        lower(CASE
            WHEN s.kind NOT IN ('human', 'guest', 'agent_user', 'unknown')
                 AND (s.entra_kind IS NOT NULL OR s.reg_kind IS NOT NULL)
                 AND s.user_id IS NOT NULL
                 AND coalesce(lower(s.reg_id), '') <> lower(s.user_id)
                THEN s.user_id
        END) AS on_behalf_of_id,
        coalesce(s.resource_display_name, s.resource_id) AS resource,
        lower(s.resource_id) AS resource_id,
        CAST(NULL AS VARCHAR) AS resource_path,
        'sign-in' AS operation,
        CAST(NULL AS VARCHAR) AS request_uri,
        s.ip_address,
        s.autonomous_system_number AS asn,
        upper(s.country) AS country,
        s.user_agent,
        s.credential_key_id,
        s.succeeded,
        s.error_code AS status_code,
        CAST(NULL AS BIGINT) AS bytes,
        coalesce(t_id.tag, t_name.tag) AS sensitivity,
        s.reg_id IS NOT NULL AS registered,
        s.reg_sponsor AS sponsor,
        s.log_type AS detail,
        s.conflicting_duplicate
    FROM s3 s
    LEFT JOIN name_tags t_id ON t_id.key = lower(s.resource_id)
    LEFT JOIN name_tags t_name ON t_name.key = lower(trim(s.resource_display_name))
),
a AS (
    SELECT
        a.*,
        CASE WHEN d_user.kind = 'agent_user' THEN d_user.kind END AS dir_user_kind,
        CASE WHEN r_user.kind = 'agent_user' THEN r_user.id END AS reg_user_id,
        coalesce(d_sp.kind, d_app.kind) AS dir_kind,
        coalesce(d_sp.identity_id, d_app.identity_id) AS dir_id,
        coalesce(d_sp.blueprint, d_app.blueprint, d_user.blueprint) AS dir_blueprint,
        coalesce(d_sp.name, d_app.name, d_user.name) AS dir_name,
        CASE WHEN r_user.kind = 'agent_user' THEN r_user.id
             WHEN d_user.kind = 'agent_user' THEN NULL  -- an agent user acts
             ELSE coalesce(r_sp.id, r_app.id) END AS reg_id,
        CASE WHEN r_user.kind = 'agent_user' THEN r_user.kind
             WHEN d_user.kind = 'agent_user' THEN NULL  -- an agent user acts
             ELSE coalesce(r_sp.kind, r_app.kind) END AS reg_kind,
        CASE WHEN r_user.kind = 'agent_user' THEN r_user.name
             WHEN d_user.kind = 'agent_user' THEN NULL  -- an agent user acts
             ELSE coalesce(r_sp.name, r_app.name) END AS reg_name,
        CASE WHEN r_user.kind = 'agent_user' THEN r_user.blueprint
             WHEN d_user.kind = 'agent_user' THEN NULL  -- an agent user acts
             ELSE coalesce(r_sp.blueprint, r_app.blueprint) END AS reg_blueprint,
        CASE WHEN r_user.kind = 'agent_user' THEN r_user.sponsor
             WHEN d_user.kind = 'agent_user' THEN NULL  -- an agent user acts
             ELSE coalesce(r_sp.sponsor, r_app.sponsor) END AS reg_sponsor,
        CASE
            WHEN a.actor_kind IN ('human', 'guest') AND a.user_id IS NOT NULL THEN a.actor_kind
            WHEN a.actor_kind = 'managed_identity' THEN 'managed_identity'
            WHEN a.user_id IS NOT NULL AND coalesce(a.token_type, '') <> 'app' THEN 'human'
            WHEN a.service_principal_id IS NOT NULL OR a.app_id IS NOT NULL
                THEN 'service_principal'
            ELSE 'unknown'
        END AS category_kind
    FROM activity a
    LEFT JOIN dir d_user ON d_user.key = lower(a.user_id)
    LEFT JOIN dir d_sp ON d_sp.key = lower(a.service_principal_id)
    LEFT JOIN dir d_app ON d_app.key = lower(a.app_id)
    LEFT JOIN reg r_user ON r_user.key = lower(a.user_id)
    LEFT JOIN reg r_sp ON r_sp.key = lower(a.service_principal_id)
    LEFT JOIN reg r_app ON r_app.key = lower(a.app_id)
),
a2 AS (
    SELECT
        *,
        CASE WHEN dir_user_kind IS NOT NULL THEN 'agent_user'
             WHEN reg_user_id IS NOT NULL THEN 'agent_user'
             WHEN dir_kind IS NOT NULL THEN dir_kind
             WHEN reg_kind IS NOT NULL THEN reg_kind
             ELSE category_kind END AS kind,
        CASE WHEN dir_user_kind IS NOT NULL THEN 'entra_agent_fields'
             WHEN reg_user_id IS NOT NULL THEN 'registry'
             WHEN dir_kind IS NOT NULL THEN 'entra_agent_fields'
             WHEN reg_kind IS NOT NULL THEN 'registry'
             WHEN category_kind <> 'unknown' THEN 'log_category'
             ELSE 'none' END AS kind_source
    FROM a
),
activity_events AS (
    SELECT
        a.event_id,
        'activity' AS table_name,
        a.event_time,
        a.date AS day,
        hour(a.event_time) AS hour,
        a.tenant_id,
        lower(CASE
            WHEN a.kind = 'agent_user' THEN coalesce(a.reg_user_id, a.user_id)
            WHEN a.kind IN ('human', 'guest') THEN coalesce(a.user_id, a.user_principal_name)
            ELSE coalesce(a.reg_id, a.dir_id, a.service_principal_id, a.app_id, a.actor_id)
        END) AS identity_id,
        a.kind AS identity_kind,
        a.kind_source,
        coalesce(a.reg_name, a.dir_name, CASE
            WHEN a.kind IN ('human', 'guest') THEN a.user_principal_name END) AS identity_name,
        lower(a.app_id) AS app_id,
        lower(coalesce(a.dir_blueprint, a.reg_blueprint)) AS blueprint,
        lower(CASE
            WHEN a.kind NOT IN ('human', 'guest', 'agent_user', 'unknown')
                 AND a.user_id IS NOT NULL AND coalesce(a.token_type, 'delegated') <> 'app'
                THEN a.user_id
        END) AS on_behalf_of_id,
        a.resource_path AS resource,
        CASE WHEN a.source_log = 'graph' OR a.source_log IS NULL
             THEN '00000003-0000-0000-c000-000000000000' END AS resource_id,
        a.resource_path,
        a.operation,
        a.request_uri,
        a.ip_address,
        CAST(NULL AS BIGINT) AS asn,
        CAST(NULL AS VARCHAR) AS country,
        a.user_agent,
        CAST(NULL AS VARCHAR) AS credential_key_id,
        CASE WHEN a.status_code IS NULL THEN NULL ELSE a.status_code < 400 END AS succeeded,
        a.status_code,
        a.response_size_bytes AS bytes,
        ps.tag AS sensitivity,
        a.reg_id IS NOT NULL AS registered,
        a.reg_sponsor AS sponsor,
        a.token_type AS detail,
        a.conflicting_duplicate
    FROM a2 a
    LEFT JOIN path_sensitivity ps ON ps.resource_path = a.resource_path
)
SELECT e.* REPLACE (coalesce(e.identity_name, n.name) AS identity_name)
FROM (
    SELECT * FROM signin_events
    UNION ALL
    SELECT * FROM activity_events
) e
LEFT JOIN known_names n ON n.key = e.identity_id AND e.identity_name IS NULL
