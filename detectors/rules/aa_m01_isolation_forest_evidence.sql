-- AA-M01 evidence: a sample of the flagged identities' events on the judged day
-- ($ids: the flagged identity ids), the sensitive and failed ones first.
SELECT identity_id, array_slice(list(event_id ORDER BY prio, event_time), 1, 100) AS evidence
FROM (
    SELECT identity_id, event_id, event_time,
           CASE WHEN sensitivity IS NOT NULL THEN 0 WHEN succeeded = false THEN 1 ELSE 2 END
               AS prio
    FROM day_events
    WHERE day = $day AND list_contains($ids, identity_id)
)
GROUP BY identity_id
