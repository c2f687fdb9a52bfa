-- Per identity: events, requests, bytes and active days in the 7, 30 and 90 days before aa_day.
CREATE OR REPLACE TEMP VIEW volume_windows AS
SELECT
    identity_id,
    CAST(sum(events) FILTER (WHERE date >= getvariable('aa_day') - 7) AS BIGINT) AS events_7d,
    CAST(sum(events) FILTER (WHERE date >= getvariable('aa_day') - 30) AS BIGINT) AS events_30d,
    CAST(sum(events) AS BIGINT) AS events_90d,
    CAST(sum(requests) FILTER (WHERE date >= getvariable('aa_day') - 7) AS BIGINT) AS requests_7d,
    CAST(sum(requests) FILTER (WHERE date >= getvariable('aa_day') - 30) AS BIGINT) AS requests_30d,
    CAST(sum(requests) AS BIGINT) AS requests_90d,
    CAST(sum(bytes) FILTER (WHERE date >= getvariable('aa_day') - 7) AS BIGINT) AS bytes_7d,
    CAST(sum(bytes) FILTER (WHERE date >= getvariable('aa_day') - 30) AS BIGINT) AS bytes_30d,
    CAST(sum(bytes) AS BIGINT) AS bytes_90d,
    count(*) FILTER (WHERE date >= getvariable('aa_day') - 7) AS days_7d,
    count(*) FILTER (WHERE date >= getvariable('aa_day') - 30) AS days_30d,
    count(*) AS days_90d
FROM identity_day
WHERE date < getvariable('aa_day') AND date >= getvariable('aa_day') - 90
  AND identity_id IS NOT NULL
GROUP BY identity_id
