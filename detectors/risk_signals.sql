-- Identity Protection's signals of the judged day (the risk_signals view), that raise the
-- score of a finding on the same identity (detectors/scoring.py risk_boost).
-- Parameters: $day.
SELECT event_id, risk_kind, keys, name, risk_event_types, risk_level
FROM risk_signals
WHERE day = $day
ORDER BY event_time, event_id
