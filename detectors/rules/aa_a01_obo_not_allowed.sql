-- AA-A01: agents acting with a person's delegated token (OBO) on the judged day, where the
-- registry does not allow it. One row per agent; the person it acted for most often is named.
-- Parameters: $obo_allowed (lower-case ids / app ids of agents with on_behalf_of = true),
-- $registered (lower-case ids / app ids of every registered agent), $max_evidence.
WITH acting AS (
    SELECT *
    FROM day_events
    WHERE on_behalf_of_id IS NOT NULL
      AND identity_id IS NOT NULL
      AND on_behalf_of_id <> identity_id
),
not_allowed AS (
    -- the registry lists are checked once per agent (and app), not once per event
    SELECT DISTINCT identity_id, app_id
    FROM acting
),
disallowed AS (
    SELECT DISTINCT identity_id
    FROM not_allowed
    WHERE NOT list_contains($obo_allowed, lower(identity_id))
      AND NOT list_contains($obo_allowed, lower(coalesce(app_id, '')))
),
obo AS (
    SELECT a.*
    FROM acting AS a
    WHERE a.identity_id IN (SELECT identity_id FROM disallowed)
),
per_person AS (
    SELECT identity_id, on_behalf_of_id, count(*) AS n
    FROM obo
    GROUP BY ALL
),
top_person AS (
    SELECT identity_id, arg_max(on_behalf_of_id, n) AS person_id
    FROM per_person
    GROUP BY identity_id
),
person_names AS (
    -- the person's name as their own sign-ins and calls show it (per identity-day rollups)
    SELECT identity_id AS person_id,
           arg_max(identity_name, last_time) FILTER (WHERE identity_name IS NOT NULL)
               AS person_name
    FROM identity_day
    WHERE identity_id IN (SELECT person_id FROM top_person)
    GROUP BY identity_id
)
SELECT
    o.identity_id,
    any_value(o.identity_kind) AS identity_kind,
    any_value(o.identity_name) AS identity_name,
    any_value(o.app_id) AS app_id,
    any_value(o.blueprint) AS blueprint,
    any_value(o.sponsor) AS sponsor,
    any_value(o.kind_source) AS kind_source,
    any_value(t.person_id) AS person_id,
    any_value(n.person_name) AS person_name,
    list_contains($registered, lower(o.identity_id))
        OR list_contains($registered, lower(coalesce(any_value(o.app_id), ''))) AS is_registered,
    count(*) AS n_events,
    count(DISTINCT o.on_behalf_of_id) AS n_people,
    count(DISTINCT o.resource) AS n_resources,
    count(*) FILTER (WHERE o.sensitivity IS NOT NULL) AS n_sensitive,
    string_agg(DISTINCT o.resource, ', ' ORDER BY o.resource)[1:200] AS resources,
    min(o.event_time) AS window_start,
    max(o.event_time) AS window_end,
    list(o.event_id ORDER BY o.event_time)[1:$max_evidence] AS evidence
FROM obo AS o
JOIN top_person AS t USING (identity_id)
LEFT JOIN person_names AS n ON n.person_id = t.person_id
GROUP BY o.identity_id
ORDER BY o.identity_id
