-- Workload identities tied by app id (DESIGN.md section 5): an app registration (an Application
-- object, agent blueprints included) and its service principal are two object ids of one
-- identity. One row per (object_id, app_id, kind), lower-cased, from what the logs say:
-- an app registration's audit names its app id in additionalDetails ('AppId'); a consent names
-- the service principal's app id among its ServicePrincipalNames; an app role assignment names
-- the client's object and app id; sign-ins and activity name both for a service principal; the
-- registry declares them.
CREATE OR REPLACE {temp} VIEW app_links AS
WITH audit_targets AS (
    SELECT additional_details, unnest(targets) AS t FROM audits
),
said AS (
    SELECT t.id AS object_id, additional_details['AppId'] AS app_id, 'application' AS kind
    FROM audit_targets
    WHERE lower(t.type) = 'application'
    UNION ALL
    SELECT
        t.id,
        regexp_extract(t.modified['TargetId.ServicePrincipalNames'].new_value,
            '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'),
        'service_principal'
    FROM audit_targets
    WHERE lower(t.type) = 'serviceprincipal'
    UNION ALL
    SELECT
        t.modified['ServicePrincipal.ObjectID'].new_value,
        t.modified['ServicePrincipal.AppId'].new_value,
        'service_principal'
    FROM audit_targets
    UNION ALL
    SELECT identity_id, app_id, 'service_principal'
    FROM identity_day
    WHERE identity_kind NOT IN ('human', 'guest', 'unknown') AND identity_id <> app_id
    UNION ALL
    SELECT id, app_id, 'service_principal' FROM registry
)
SELECT DISTINCT lower(trim(object_id)) AS object_id, lower(trim(app_id)) AS app_id, kind
FROM said
WHERE nullif(trim(object_id), '') IS NOT NULL AND nullif(trim(app_id), '') IS NOT NULL
;
-- each object's app id, and each app id's service principal (the identity findings name)
CREATE OR REPLACE {temp} VIEW app_of_object AS
SELECT object_id, min(app_id) AS app_id FROM app_links GROUP BY object_id;
CREATE OR REPLACE {temp} VIEW principal_of_app AS
SELECT app_id, min(object_id) AS sp_id
FROM app_links WHERE kind = 'service_principal' GROUP BY app_id
