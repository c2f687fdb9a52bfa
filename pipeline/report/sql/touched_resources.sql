-- What the chosen identities really touched over the report window, most used first.
-- $1: identity ids (lower-case list), $2: first day, $3: last day, $4: rows kept per identity.
SELECT identity_id, resource, resource_id, resource_path, sensitivity, events
FROM (
    SELECT
        identity_id,
        coalesce(resource, resource_id, '(unknown)') AS resource,
        any_value(resource_id) AS resource_id,
        any_value(resource_path) AS resource_path,
        max(sensitivity) AS sensitivity,
        count(*) AS events,
        row_number() OVER (PARTITION BY identity_id ORDER BY count(*) DESC, 2) AS rank
    FROM events
    WHERE list_contains($1, identity_id)
      AND NOT conflicting_duplicate  -- a later version of an event counts once
      AND CAST(day AS DATE) BETWEEN CAST($2 AS DATE) AND CAST($3 AS DATE)
    GROUP BY identity_id, coalesce(resource, resource_id, '(unknown)')
)
WHERE rank <= $4
ORDER BY identity_id, events DESC, resource
