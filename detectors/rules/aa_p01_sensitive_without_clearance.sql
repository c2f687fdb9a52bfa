-- AA-P01: sensitive resources (catalogue tag) each registered agent read successfully on the
-- judged day, one row per distinct (agent, resource, path, tag); the rule checks pii_clearance.
-- $keys: the registered agents' object ids and app ids, lower case.
SELECT
    identity_id,
    any_value(identity_kind) AS identity_kind,
    any_value(identity_name) AS identity_name,
    any_value(app_id) AS app_id,
    any_value(blueprint) AS blueprint,
    any_value(sponsor) AS sponsor,
    any_value(kind_source) AS kind_source,
    any_value(on_behalf_of_id) AS on_behalf_of_id,
    resource,
    resource_id,
    resource_path,
    sensitivity,
    count(*) AS requests,
    count(*) FILTER (WHERE coalesce(succeeded, true)) AS succeeded_requests,
    min(event_time) AS window_start,
    max(event_time) AS window_end,
    array_slice(list(event_id ORDER BY event_time), 1, 200) AS evidence
FROM events
WHERE day = $day
  AND sensitivity IS NOT NULL
  AND coalesce(succeeded, true)
  AND (list_contains($keys, identity_id) OR list_contains($keys, lower(app_id)))
GROUP BY identity_id, resource, resource_id, resource_path, sensitivity
ORDER BY identity_id, resource, resource_path
