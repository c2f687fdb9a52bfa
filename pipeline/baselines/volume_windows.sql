-- Per identity: events, requests, bytes and active days in the 7, 30 and 90 days before aa_day.
CREATE OR REPLACE TEMP VIEW volume_windows AS
SELECT
    identity_id,
    sum(events) FILTER (WHERE date >= getvariable('aa_day') - 7) AS events_7d,
    sum(events) FILTER (WHERE date >= getvariable('aa_day') - 30) AS events_30d,
    sum(events) AS events_90d,
    sum(requests) FILTER (WHERE date >= getvariable('aa_day') - 7) AS requests_7d,
    sum(requests) FILTER (WHERE date >= getvariable('aa_day') - 30) AS requests_30d,
    sum(requests) AS requests_90d,
    sum(bytes) FILTER (WHERE date >= getvariable('aa_day') - 7) AS bytes_7d,
    sum(bytes) FILTER (WHERE date >= getvariable('aa_day') - 30) AS bytes_30d,
    sum(bytes) AS bytes_90d,
    count(*) FILTER (WHERE date >= getvariable('aa_day') - 7) AS days_7d,
    count(*) FILTER (WHERE date >= getvariable('aa_day') - 30) AS days_30d,
    count(*) AS days_90d
FROM identity_day
WHERE date < getvariable('aa_day') AND date >= getvariable('aa_day') - 90
  AND identity_id IS NOT NULL
GROUP BY identity_id
