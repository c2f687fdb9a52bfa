-- Each agent card's badge: its agent_inventory row. $1: identity ids (lower-case list).
SELECT * FROM agent_inventory WHERE list_contains($1, identity_id)
