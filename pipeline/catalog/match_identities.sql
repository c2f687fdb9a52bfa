-- Identities whose id, app id or name (a person's user principal name) contains $text,
-- case-insensitive: `agentaudit findings --identity`, `inventory --agent` and the notebook.
-- An exact match comes first, then the busiest.
SELECT identity_id, name, app_id, actor_kind, events,
       ($text = identity_id OR $text = lower(coalesce(app_id, ''))
        OR $text = lower(coalesce(name, ''))) AS exact
FROM (SELECT * REPLACE (lower(identity_id) AS identity_id) FROM identities)
WHERE identity_id IS NOT NULL
  AND (contains(identity_id, $text)
       OR contains(lower(coalesce(app_id, '')), $text)
       OR contains(lower(coalesce(name, '')), $text))
ORDER BY exact DESC, events DESC, identity_id
