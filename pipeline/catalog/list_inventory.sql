-- `agentaudit inventory`: the agent_inventory view, optionally one agent (by id, name or app id).
SELECT *
FROM agent_inventory
WHERE $agent IS NULL
   OR lower(identity_id) = lower($agent)
   OR contains(lower(coalesce(name, '')), lower($agent))
ORDER BY registered DESC, kind, name, identity_id
