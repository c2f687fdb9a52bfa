-- Helpers every catalog view uses. Created as TEMP macros on read-only connections.
CREATE OR REPLACE {temp} MACRO agent_kind(t) AS
    CASE lower(t)
        WHEN 'agenticappinstance' THEN 'agent_identity'
        WHEN 'agentidentity' THEN 'agent_identity'
        WHEN 'agentiduser' THEN 'agent_user'
        WHEN 'agentuser' THEN 'agent_user'
        WHEN 'agenticapp' THEN 'agent_blueprint'
        WHEN 'agenticappbuilder' THEN 'agent_blueprint'
        WHEN 'agentidentityblueprintprincipal' THEN 'agent_blueprint'
        WHEN 'agentidentityblueprint' THEN 'agent_blueprint'
    END;
CREATE OR REPLACE {temp} MACRO norm_path(p) AS
    nullif(rtrim(lower(regexp_replace(split_part(p, '?', 1), '^/(v1\.0|beta)(/|$)', '/')), '/'), '');
CREATE OR REPLACE {temp} MACRO path_tag(p) AS (
    SELECT arg_max(sp.tag, sp.priority)
    FROM sensitivity_patterns sp
    WHERE sp.kind = 'path'
      AND sp.first_segment IN (split_part(coalesce(norm_path(p), '/'), '/', 2), '*')
      AND regexp_full_match(coalesce(norm_path(p), '/'), sp.regex)
);
CREATE OR REPLACE {temp} MACRO resource_allowed(kind, regex, key, resource, resource_id, resource_path) AS
    CASE WHEN kind = 'path' THEN coalesce(regexp_full_match(coalesce(norm_path(resource_path), '/'), regex), false)
         ELSE coalesce(key = lower(trim(resource)), false) OR coalesce(key = lower(resource_id), false)
    END;
-- The audit activity that creates an application, a service principal or an agent identity.
CREATE OR REPLACE {temp} MACRO creates_principal(activity) AS
    regexp_full_match(lower(trim(coalesce(activity, ''))),
        'add (service principal|application|agent identity|agent identity blueprint'
        || '|agent identity blueprint principal|agent user|agentic application)');
