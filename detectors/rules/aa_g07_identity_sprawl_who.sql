-- AA-G07: what the identities view knows of the blueprints and principals found ($ids).
SELECT identity_id, actor_kind, kind_source, name, app_id, blueprint, sponsor
FROM identities
WHERE list_contains($ids, identity_id)
