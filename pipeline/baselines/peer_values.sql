-- How common each value is in a peer group: identities of the group that used it, of how many.
-- A view: no rule reads it, an investigator's query computes it.
CREATE OR REPLACE TEMP VIEW peer_values AS
WITH sizes AS (SELECT peer_group, count(*) AS peers FROM peer_groups GROUP BY peer_group)
SELECT
    g.peer_group,
    h.dimension,
    h.value,
    count(DISTINCT h.identity_id) AS identities,
    any_value(s.peers) AS peers
FROM history_values h
JOIN peer_groups g USING (identity_id)
JOIN sizes s ON s.peer_group = g.peer_group
GROUP BY g.peer_group, h.dimension, h.value
