-- AA-G04, second step: the last event of each dormant agent, read from the one day partition
-- it was last active on (so the lake is pruned to that day).
-- Parameters: $last_day (DATE), $ids (identity ids active last on that day).
SELECT identity_id, arg_max(event_id, event_time) AS last_event
FROM events
WHERE day = $last_day
  AND list_contains($ids, identity_id)
GROUP BY identity_id
