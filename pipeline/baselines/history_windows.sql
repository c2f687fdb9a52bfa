-- Per identity, dimension and value: counts in the 7, 30 and 90 days before aa_day.
CREATE OR REPLACE TEMP VIEW history_windows AS
SELECT
    identity_id,
    dimension,
    value,
    min(first_time) AS first_seen,
    max(last_time) AS last_seen,
    CAST(sum(events) FILTER (WHERE date >= getvariable('aa_day') - 7) AS BIGINT) AS events_7d,
    CAST(sum(events) FILTER (WHERE date >= getvariable('aa_day') - 30) AS BIGINT) AS events_30d,
    CAST(sum(events) AS BIGINT) AS events_90d,
    count(*) FILTER (WHERE date >= getvariable('aa_day') - 7) AS days_7d,
    count(*) FILTER (WHERE date >= getvariable('aa_day') - 30) AS days_30d,
    count(*) AS days_90d
FROM identity_day_values
WHERE date < getvariable('aa_day') AND date >= getvariable('aa_day') - 90
GROUP BY identity_id, dimension, value
