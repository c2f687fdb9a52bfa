-- One row per identity ever seen (from the per-identity-day rollups), plus the people agents
-- acted for and the registered agents never seen (events = 0), with their directory audits as
-- initiator and as target: DESIGN.md section 5. Sponsor and owners come from the stewards view
-- (registry, owner / sponsor audits, Defender's inventory). Agents carry their creation_channel
-- and its evidence (creation_channels.sql). An identity the logs type only by its category (or
-- not at all) whose service-principal tags say AgenticInstance / AgenticApp /
-- power-virtual-agents-* is an agent (agent_identity / agent_blueprint) with kind_source
-- 'sp_tags': legacy logs without agentType.
CREATE OR REPLACE {temp} VIEW identities AS
WITH seen AS (
    SELECT
        identity_id,
        arg_max(identity_kind, last_time) AS actor_kind,
        arg_max(kind_source, last_time) AS kind_source,
        arg_max(identity_name, last_time) FILTER (WHERE identity_name IS NOT NULL) AS name,
        arg_max(app_id, last_time) FILTER (WHERE app_id IS NOT NULL) AS app_id,
        arg_max(blueprint, last_time) FILTER (WHERE blueprint IS NOT NULL) AS blueprint,
        arg_max(tenant_id, last_time) FILTER (WHERE tenant_id IS NOT NULL) AS tenant_id,
        min(first_time) AS first_seen,
        max(last_time) AS last_seen,
        count(DISTINCT day) AS days_active,
        CAST(sum(events) AS BIGINT) AS events,
        CAST(sum(signins) AS BIGINT) AS signins,
        CAST(sum(requests) AS BIGINT) AS activity_events,
        CAST(sum(obo_events) AS BIGINT) AS obo_events
    FROM identity_day
    GROUP BY identity_id
),
obo_people AS (
    SELECT value AS identity_id, min(first_time) AS first_seen, max(last_time) AS last_seen,
           CAST(sum(events) AS BIGINT) AS events
    FROM identity_day_values
    WHERE dimension = 'obo_user'
    GROUP BY value
),
initiated AS (
    -- directory audits are small (thousands a day): counted straight from the lake
    SELECT lower(coalesce(initiator_id, initiator_app_id)) AS identity_id, count(*) AS n
    FROM audits GROUP BY 1
),
targeted AS (
    SELECT lower(t.id) AS identity_id, count(*) AS n
    FROM (SELECT unnest(target_ids) AS id FROM audits) t
    GROUP BY 1
),
inventory AS (
    -- Defender's agent inventory (AgentsInfo / AIAgentsInfo): the latest snapshot per Entra id
    SELECT
        lower(entra_agent_id) AS identity_id,
        arg_max(platform, event_time) AS inventory_platform,
        arg_max(status, event_time) AS inventory_status,
        arg_max(agent_name, event_time) AS inventory_name,
        arg_max(owners, event_time) AS inventory_owners,
        arg_max(created_by, event_time) AS inventory_created_by
    FROM agent_facts
    WHERE entra_agent_id IS NOT NULL
    GROUP BY 1
),
everyone AS (
    SELECT identity_id FROM seen WHERE identity_id IS NOT NULL
    UNION SELECT identity_id FROM obo_people
    UNION SELECT id FROM registry
    UNION SELECT identity_id FROM inventory
),
kinds AS (
    SELECT
        e.identity_id,
        coalesce(s.actor_kind, r.kind, CASE WHEN o.identity_id IS NOT NULL THEN 'human' END,
                 CASE WHEN inv.identity_id IS NOT NULL THEN 'agent_identity' END,
                 'unknown') AS logged_kind,
        coalesce(s.kind_source, CASE WHEN r.id IS NOT NULL THEN 'registry'
                                     WHEN o.identity_id IS NOT NULL THEN 'log_category' END,
                 'none') AS logged_source
    FROM everyone e
    LEFT JOIN seen s ON s.identity_id = e.identity_id
    LEFT JOIN obo_people o ON o.identity_id = e.identity_id
    LEFT JOIN registry r ON r.id = e.identity_id
    LEFT JOIN inventory inv ON inv.identity_id = e.identity_id
)
SELECT
    e.identity_id,
    CASE WHEN cc.tag_kind IS NOT NULL AND k.logged_source IN ('log_category', 'none')
         THEN cc.tag_kind ELSE k.logged_kind END AS actor_kind,
    CASE WHEN cc.tag_kind IS NOT NULL AND k.logged_source IN ('log_category', 'none')
         THEN 'sp_tags' ELSE k.logged_source END AS kind_source,
    coalesce(r.name, s.name, inv.inventory_name) AS name,
    coalesce(s.app_id, r.app_id) AS app_id,
    coalesce(s.blueprint, r.blueprint) AS blueprint,
    coalesce(st.sponsor, r.sponsor) AS sponsor,
    st.sponsor_source,
    coalesce(r.owner, st.owners[1]) AS owner,
    coalesce(st.owners, CASE WHEN r.owner IS NOT NULL THEN [r.owner] END, []) AS owners,
    r.id IS NOT NULL AS registered,
    s.tenant_id,
    coalesce(s.first_seen, o.first_seen) AS first_seen,
    greatest(s.last_seen, o.last_seen) AS last_seen,
    coalesce(s.days_active, 0) AS days_active,
    coalesce(s.events, 0) AS events,
    coalesce(s.signins, 0) AS signins,
    coalesce(s.activity_events, 0) AS activity_events,
    coalesce(s.obo_events, 0) AS obo_events,
    coalesce(o.events, 0) AS acted_for_events,
    coalesce(ai.n, 0) AS audits_initiated,
    coalesce(tg.n, 0) AS audits_targeted,
    inv.inventory_platform,
    inv.inventory_status,
    inv.inventory_owners,
    inv.inventory_created_by,
    cc.creation_channel,
    cc.creation_channel_evidence
FROM everyone e
JOIN kinds k ON k.identity_id = e.identity_id
LEFT JOIN creation_channels cc ON cc.identity_id = e.identity_id
LEFT JOIN seen s ON s.identity_id = e.identity_id
LEFT JOIN obo_people o ON o.identity_id = e.identity_id
LEFT JOIN registry r ON r.id = e.identity_id
LEFT JOIN initiated ai ON ai.identity_id = e.identity_id
LEFT JOIN targeted tg ON tg.identity_id = e.identity_id
LEFT JOIN inventory inv ON inv.identity_id = e.identity_id
LEFT JOIN stewards st ON st.identity_id = e.identity_id
