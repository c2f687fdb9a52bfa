-- Whether an identity has enough history before aa_day for behavioural rules (all history, not
-- only the look-back window): aa_min_days active days and aa_min_events events.
CREATE OR REPLACE TEMP TABLE learning_state AS
WITH h AS (
    SELECT identity_id, min(first_time) AS first_seen, count(DISTINCT day) AS days_active,
           CAST(sum(events) AS BIGINT) AS events
    FROM identity_day
    WHERE date < getvariable('aa_day') AND identity_id IS NOT NULL
    GROUP BY identity_id
),
everyone AS (
    SELECT identity_id FROM h
    UNION SELECT DISTINCT identity_id FROM day_identity WHERE identity_id IS NOT NULL
)
SELECT
    e.identity_id,
    h.first_seen,
    coalesce(h.days_active, 0) AS days_active,
    coalesce(h.events, 0) AS events,
    CASE WHEN coalesce(h.days_active, 0) >= CAST(getvariable('aa_min_days') AS INTEGER)
              AND coalesce(h.events, 0) >= CAST(getvariable('aa_min_events') AS BIGINT)
         THEN 'established' ELSE 'learning' END AS state,
    NOT (coalesce(h.days_active, 0) >= CAST(getvariable('aa_min_days') AS INTEGER)
         AND coalesce(h.events, 0) >= CAST(getvariable('aa_min_events') AS BIGINT)) AS learning
FROM everyone e
LEFT JOIN h USING (identity_id)
