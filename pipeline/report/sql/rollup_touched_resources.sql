-- What the chosen identities touched over the window, from the identity_day_values rollup.
-- $1: identity ids (lower-case list), $2: first day, $3: last day, $4: rows kept per identity.
SELECT identity_id, resource, resource AS resource_path, NULL AS resource_id,
       NULL AS sensitivity, events
FROM (
    SELECT
        identity_id,
        value AS resource,
        CAST(sum(events) AS BIGINT) AS events,
        row_number() OVER (PARTITION BY identity_id ORDER BY sum(events) DESC, value) AS rank
    FROM identity_day_values
    WHERE dimension = 'resource'
      AND list_contains($1, identity_id)
      AND CAST(day AS DATE) BETWEEN CAST($2 AS DATE) AND CAST($3 AS DATE)
    GROUP BY identity_id, value
)
WHERE rank <= $4
ORDER BY identity_id, events DESC, resource
