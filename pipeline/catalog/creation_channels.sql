-- Where each agent came from (DESIGN.md section 11): one row per agent identity, agent blueprint
-- (principal) and agent user the logs or the registry know of, with the channel that created it
-- and the evidence that decided it. Columns:
--   identity_id, identity_kind, blueprint (app id), creation_channel, creation_channel_evidence,
--   tag_kind (the agent kind its service-principal tags say, else null), tags (list),
--   created_at, created_by, created_by_kind (its initiator_kind), creation_activity,
--   creation_event_id (the audit that created it).
--
-- creation_channel is one of azure-ai-foundry | copilot-studio | security-copilot |
-- third-party-consent | admin-or-api | unknown, decided by the first of these that says:
--  1. the registry: [[agents]] creation_channel = "…"                       evidence 'registry'
--  2. the blueprint (the identity's own when it is one): its app display name (audit target
--     displayName, else the name its sign-ins carry) names a product, see channel_of_text below,
--     unless an AppOwnerOrganizationId says it is owned by a foreign tenant that is not Microsoft:
--                                 evidence "blueprint publisher Microsoft / app 'Azure AI Foundry'"
--     or the blueprint's principal was created ('Add service principal') by a product's app:
--                    evidence "blueprint 'Research' created by app 'Azure AI Foundry'"
--  3. service-principal tags in an audit's modifiedProperties 'Tags' (a JSON list of strings, or
--     comma-separated): 'power-virtual-agents-<bot id>' -> copilot-studio
--                                 evidence 'tag power-virtual-agents-<bot id>'
--     ('AgenticInstance' and 'AgenticApp' type the identity, agent_identity / agent_blueprint,
--     in tag_kind; they name no channel: legacy logs without agentType are typed through them)
--  4. Defender's agent inventory (agent_facts.platform) naming a product
--                                 evidence "Defender inventory platform 'Copilot Studio'"
--  5. the audit that created it (the earliest successful 'Add service principal', 'Add agent
--     identity…', 'Add application', 'Add user' or 'Consent to application' naming it as target;
--     a 'Consent to application' with the creation's correlation id, or within 10 minutes of
--     it, is what created it; AppOwnerOrganizationId, AppId and CreatedByAppId are read from
--     modifiedProperties or additionalDetails):
--     * 'Consent to application': third-party-consent (evidence 'consent by user x', or
--       'admin consent by x' when modifiedProperties 'ConsentContext.IsAdminConsent' is True),
--       unless AppOwnerOrganizationId is the audit's own tenant (then admin-or-api);
--     * initiated by a first-party app whose name names a product (initiator displayName, e.g.
--       'Power Virtual Agents Service'): that product (evidence "Add service principal by app 'x'");
--     * otherwise admin-or-api: "Add service principal by admin y via Azure CLI" (the client
--       from additionalDetails' User-Agent: Azure CLI, PowerShell, Terraform, a Graph SDK, the
--       admin center for a browser), or "… by app 'x'" for an app or script;
--  6. its display name naming a product                   evidence "name 'Copilot Studio bot'"
--  7. otherwise unknown                                   evidence 'nothing in the logs says'
-- Product names (case-insensitive regex, channel_of_text): 'azure ai foundry|ai foundry|microsoft
-- foundry|azure machine learning' -> azure-ai-foundry; 'copilot studio|power virtual agents|
-- power-virtual-agents' -> copilot-studio; 'security copilot|medeina' -> security-copilot.
-- Microsoft's own tenants (AppOwnerOrganizationId): f8cdef31-a31e-4b4a-93e4-5f571e91255a and
-- 72f988bf-86f1-41af-91ab-2d7cd011db47. Every value here is log text: matched, never trusted.
CREATE OR REPLACE {temp} MACRO channel_of_text(t) AS
    CASE
        WHEN regexp_matches(lower(coalesce(t, '')),
            'azure ai foundry|ai foundry|microsoft foundry|azure machine learning')
        THEN 'azure-ai-foundry'
        WHEN regexp_matches(lower(coalesce(t, '')),
            'copilot studio|power virtual agents|power-virtual-agents')
        THEN 'copilot-studio'
        WHEN regexp_matches(lower(coalesce(t, '')), 'security copilot|medeina')
        THEN 'security-copilot'
    END;
CREATE OR REPLACE {temp} MACRO microsoft_tenant(t) AS
    lower(coalesce(t, '')) IN ('f8cdef31-a31e-4b4a-93e4-5f571e91255a',
                               '72f988bf-86f1-41af-91ab-2d7cd011db47');
CREATE OR REPLACE {temp} MACRO client_of(ua) AS
    CASE
        WHEN regexp_matches(lower(coalesce(ua, '')), 'azurecli|azure-cli') THEN 'Azure CLI'
        WHEN regexp_matches(lower(coalesce(ua, '')), 'powershell') THEN 'PowerShell'
        WHEN regexp_matches(lower(coalesce(ua, '')), 'terraform') THEN 'Terraform'
        WHEN regexp_matches(lower(coalesce(ua, '')), 'msgraph|graph-sdk|kiota') THEN 'a Graph SDK'
        WHEN regexp_matches(lower(coalesce(ua, '')), '^mozilla/') THEN 'the admin center'
    END;
CREATE OR REPLACE {temp} MACRO prop_value(props, prop) AS
    nullif(trim(coalesce(
        list_filter(props, lambda m: lower(coalesce(m.name, '')) = prop)[1].new_value, ''),
        '"[] '), '');
CREATE OR REPLACE {temp} VIEW creation_channels AS
WITH audit_targets AS (
    SELECT
        a.event_id, a.event_time, a.tenant_id, a.activity, a.initiator_kind, a.correlation_id,
        coalesce(a.initiator_name, a.initiator_id, a.initiator_app_id) AS initiator,
        a.initiator_app_id, a.user_agent, a.additional_details AS details,
        unnest(a.targets) AS t
    FROM audits AS a
    WHERE NOT a.conflicting_duplicate
      AND lower(coalesce(a.result, 'success')) IN ('success', '')
),
target_facts AS (
    SELECT
        *,
        lower(trim(t.id)) AS target_id,
        coalesce(agent_kind(t.agent_type), agent_kind(replace(coalesce(t.type, ''), ' ', '')))
            AS target_kind,
        coalesce(t.modified_properties, []) AS props
    FROM audit_targets
    WHERE nullif(trim(t.id), '') IS NOT NULL
),
tagged AS (
    SELECT
        *,
        list_transform(list_filter(
            CASE WHEN contains(coalesce(prop_raw, ''), '"')
                 THEN regexp_extract_all(prop_raw, '"([^"]*)"', 1)
                 ELSE string_split(trim(coalesce(prop_raw, ''), '[] '), ',') END,
            lambda x: trim(x) <> ''), lambda x: trim(x)) AS tags,
        coalesce(prop_value(props, 'appownerorganizationid'),
                 nullif(trim(details['AppOwnerOrganizationId']), '')) AS owner_tenant,
        coalesce(prop_value(props, 'publishername'), prop_value(props, 'verifiedpublisher'),
                 prop_value(props, 'publisherdomain')) AS publisher,
        lower(coalesce(prop_value(props, 'agentidentityblueprintid'),
                       prop_value(props, 'createdbyappid'),
                       nullif(trim(details['CreatedByAppId']), ''))) AS blueprint_said,
        lower(coalesce(prop_value(props, 'appid'), prop_value(props, 'appprincipalid'),
                       nullif(trim(details['AppId']), ''))) AS app_id_said,
        lower(prop_value(props, 'consentcontext.isadminconsent')) AS admin_consent,
        regexp_matches(lower(coalesce(activity, '')),
            '^\s*(add|create) (service principal|agent|application|user)'
            || '|^\s*consent to application') AS creates,
        lower(coalesce(activity, '')) LIKE 'consent to application%' AS consent
    FROM (SELECT *, list_filter(props, lambda m: lower(coalesce(m.name, '')) = 'tags')[1]
                        .new_value AS prop_raw
          FROM target_facts)
),
facts AS (
    -- what the audits say about each target object, over all of them
    SELECT
        target_id,
        arg_max(target_kind, event_time) FILTER (WHERE target_kind IS NOT NULL) AS audit_kind,
        arg_max(t.display_name, event_time) FILTER (WHERE t.display_name IS NOT NULL) AS name,
        list_sort(list_distinct(flatten(list(tags)))) AS tags,
        arg_max(owner_tenant, event_time) FILTER (WHERE owner_tenant IS NOT NULL) AS owner_tenant,
        arg_max(publisher, event_time) FILTER (WHERE publisher IS NOT NULL) AS publisher,
        arg_max(blueprint_said, event_time) FILTER (WHERE blueprint_said IS NOT NULL)
            AS blueprint_said,
        arg_max(app_id_said, event_time) FILTER (WHERE app_id_said IS NOT NULL) AS app_id_said,
        arg_min({'event_id': event_id, 'at': event_time, 'activity': activity,
                 'tenant_id': tenant_id, 'initiator': initiator, 'kind': initiator_kind,
                 'app_id': lower(initiator_app_id), 'user_agent': user_agent,
                 'consent': consent, 'admin_consent': admin_consent,
                 'correlation_id': correlation_id}, event_time)
            FILTER (WHERE creates) AS first_created,
        arg_min({'event_id': event_id, 'at': event_time, 'activity': activity,
                 'tenant_id': tenant_id, 'initiator': initiator, 'kind': initiator_kind,
                 'app_id': lower(initiator_app_id), 'user_agent': user_agent,
                 'consent': consent, 'admin_consent': admin_consent,
                 'correlation_id': correlation_id}, event_time)
            FILTER (WHERE consent) AS first_consent
    FROM tagged
    GROUP BY target_id
),
typed AS (
    SELECT
        *,
        -- a consent creates the principal with an 'Add service principal' in the same
        -- operation (one correlation id): the consent is what created it
        CASE WHEN first_consent IS NOT NULL
                  AND (first_created.consent
                       OR first_created.correlation_id = first_consent.correlation_id
                       OR first_consent.at <= first_created.at + INTERVAL 10 MINUTE)
             THEN first_consent ELSE first_created END AS created,
        CASE
            WHEN list_contains(list_transform(tags, lambda x: lower(x)), 'agenticapp')
            THEN 'agent_blueprint'
            WHEN list_contains(list_transform(tags, lambda x: lower(x)), 'agenticinstance')
              OR len(list_filter(tags, lambda x: starts_with(lower(x), 'power-virtual-agents-'))) > 0
            THEN 'agent_identity'
        END AS tag_kind,
        list_filter(tags, lambda x: starts_with(lower(x), 'power-virtual-agents-'))[1] AS pva_tag
    FROM facts
),
seen AS (
    SELECT
        lower(identity_id) AS identity_id,
        arg_max(identity_kind, last_time) AS kind,
        arg_max(kind_source, last_time) AS kind_source,
        arg_max(identity_name, last_time) FILTER (WHERE identity_name IS NOT NULL) AS name,
        lower(arg_max(app_id, last_time) FILTER (WHERE app_id IS NOT NULL)) AS app_id,
        lower(arg_max(blueprint, last_time) FILTER (WHERE blueprint IS NOT NULL)) AS blueprint,
        arg_max(tenant_id, last_time) FILTER (WHERE tenant_id IS NOT NULL) AS tenant_id
    FROM identity_day
    WHERE identity_id IS NOT NULL
    GROUP BY 1
),
inventory AS (
    SELECT
        lower(entra_agent_id) AS identity_id,
        arg_max(platform, event_time) AS platform,
        lower(arg_max(entra_blueprint_id, event_time)) AS blueprint
    FROM agent_facts
    WHERE entra_agent_id IS NOT NULL
    GROUP BY 1
),
subjects AS (
    SELECT identity_id FROM seen
    UNION SELECT target_id FROM typed
    UNION SELECT id FROM registry
    UNION SELECT identity_id FROM inventory
),
subject AS (
    SELECT
        s.identity_id,
        CASE
            WHEN se.kind_source = 'entra_agent_fields' THEN se.kind
            WHEN ty.audit_kind IS NOT NULL THEN ty.audit_kind
            WHEN r.kind IS NOT NULL THEN r.kind
            WHEN ty.tag_kind IS NOT NULL THEN ty.tag_kind
            WHEN inv.identity_id IS NOT NULL THEN 'agent_identity'
            ELSE se.kind
        END AS identity_kind,
        r.id IS NOT NULL AS registered,
        r.creation_channel AS declared,
        coalesce(r.name, ty.name, se.name) AS name,
        coalesce(se.app_id, r.app_id, ty.app_id_said,
                 (SELECT o.app_id FROM app_of_object AS o WHERE o.object_id = s.identity_id))
            AS app_id,
        se.tenant_id,
        ty.tags, ty.tag_kind, ty.pva_tag, ty.owner_tenant, ty.publisher, ty.created,
        inv.platform,
        coalesce(se.blueprint, r.blueprint, ty.blueprint_said, inv.blueprint,
                 CASE WHEN ty.created.kind NOT IN ('human', 'guest') THEN ty.created.app_id END)
            AS parent
    FROM subjects AS s
    LEFT JOIN seen AS se ON se.identity_id = s.identity_id
    LEFT JOIN typed AS ty ON ty.target_id = s.identity_id
    LEFT JOIN registry AS r ON r.id = s.identity_id
    LEFT JOIN inventory AS inv ON inv.identity_id = s.identity_id
    WHERE s.identity_id IS NOT NULL
),
agents AS (
    SELECT
        *,
        -- a blueprint is its own blueprint (by its app id)
        CASE WHEN identity_kind = 'agent_blueprint' THEN coalesce(app_id, parent, identity_id)
             ELSE parent END AS blueprint
    FROM subject
    WHERE identity_kind IN ('agent_identity', 'agent_user', 'agent_blueprint') OR registered
),
blueprint_objects AS (
    -- every object of each blueprint app id: its app registration, its principal, itself
    SELECT DISTINCT b.blueprint, o.object_id
    FROM (SELECT DISTINCT blueprint FROM agents WHERE blueprint IS NOT NULL) AS b
    JOIN (SELECT object_id, app_id FROM app_links
          UNION ALL SELECT target_id, app_id_said FROM typed WHERE app_id_said IS NOT NULL
          UNION ALL SELECT identity_id, app_id FROM seen WHERE app_id IS NOT NULL
          UNION ALL SELECT DISTINCT blueprint, blueprint FROM agents WHERE blueprint IS NOT NULL)
        AS o ON o.app_id = b.blueprint
),
blueprints AS (
    SELECT
        bo.blueprint,
        coalesce(max(ty.name), max(se.name)) AS name,
        max(ty.owner_tenant) AS owner_tenant,
        max(ty.publisher) AS publisher,
        -- the product app that created the blueprint (its principal): Foundry, Copilot Studio…
        arg_min(ty.created.initiator, ty.created.at) FILTER (
            WHERE ty.created.kind NOT IN ('human', 'guest')
              AND channel_of_text(ty.created.initiator) IS NOT NULL) AS maker
    FROM blueprint_objects AS bo
    LEFT JOIN typed AS ty ON ty.target_id = bo.object_id
    LEFT JOIN seen AS se ON se.identity_id = bo.object_id
    GROUP BY bo.blueprint
),
decided AS (
    SELECT
        a.*,
        b.name AS blueprint_name,
        b.maker AS blueprint_maker,
        CASE WHEN microsoft_tenant(b.owner_tenant)
                  OR regexp_matches(lower(coalesce(b.publisher, '')), '^microsoft')
             THEN 'Microsoft'
             ELSE coalesce(b.publisher, 'tenant ' || b.owner_tenant, 'unknown') END
            AS blueprint_publisher,
        b.owner_tenant IS NULL OR microsoft_tenant(b.owner_tenant)
            OR lower(b.owner_tenant) = lower(coalesce(a.tenant_id, a.created.tenant_id, ''))
            AS blueprint_trusted,
        CASE WHEN a.created.consent AND a.owner_tenant IS NOT NULL
                  AND lower(a.owner_tenant) = lower(coalesce(a.created.tenant_id, ''))
             THEN true ELSE false END AS own_tenant_consent
    FROM agents AS a
    LEFT JOIN blueprints AS b ON b.blueprint = a.blueprint
)
SELECT
    identity_id,
    identity_kind,
    blueprint,
    CASE
        WHEN declared IS NOT NULL THEN declared
        WHEN blueprint_trusted AND channel_of_text(blueprint_name) IS NOT NULL
        THEN channel_of_text(blueprint_name)
        WHEN blueprint_maker IS NOT NULL THEN channel_of_text(blueprint_maker)
        WHEN pva_tag IS NOT NULL THEN 'copilot-studio'
        WHEN channel_of_text(platform) IS NOT NULL THEN channel_of_text(platform)
        WHEN created.consent AND NOT own_tenant_consent THEN 'third-party-consent'
        WHEN created IS NOT NULL AND created.kind NOT IN ('human', 'guest')
             AND channel_of_text(created.initiator) IS NOT NULL
        THEN channel_of_text(created.initiator)
        WHEN created IS NOT NULL THEN 'admin-or-api'
        WHEN channel_of_text(name) IS NOT NULL THEN channel_of_text(name)
        ELSE 'unknown'
    END AS creation_channel,
    CASE
        WHEN declared IS NOT NULL THEN 'registry'
        WHEN blueprint_trusted AND channel_of_text(blueprint_name) IS NOT NULL
        THEN 'blueprint publisher ' || blueprint_publisher || ' / app ''' || blueprint_name || ''''
        WHEN blueprint_maker IS NOT NULL
        THEN 'blueprint ''' || coalesce(blueprint_name, blueprint) || ''' created by app '''
             || blueprint_maker || ''''
        WHEN pva_tag IS NOT NULL THEN 'tag ' || pva_tag
        WHEN channel_of_text(platform) IS NOT NULL
        THEN 'Defender inventory platform ''' || platform || ''''
        WHEN created.consent AND coalesce(created.admin_consent, '') = 'true'
        THEN 'admin consent by ' || coalesce(created.initiator, 'an unknown initiator')
        WHEN created.consent
        THEN 'consent by user ' || coalesce(created.initiator, 'unknown')
        WHEN created IS NOT NULL AND created.kind NOT IN ('human', 'guest')
        THEN coalesce(created.activity, 'created') || ' by app '''
             || coalesce(created.initiator, 'unknown') || ''''
        WHEN created IS NOT NULL
        THEN coalesce(created.activity, 'created') || ' by admin '
             || coalesce(created.initiator, 'unknown')
             || coalesce(' via ' || client_of(created.user_agent), '')
        WHEN channel_of_text(name) IS NOT NULL THEN 'name ''' || name || ''''
        ELSE 'nothing in the logs says'
    END AS creation_channel_evidence,
    tag_kind,
    coalesce(tags, []) AS tags,
    created.at AS created_at,
    created.initiator AS created_by,
    created.kind AS created_by_kind,
    created.activity AS creation_activity,
    created.event_id AS creation_event_id
FROM decided
