-- Each identity's values per dimension over the look-back window, strictly before the judged day
-- (variables aa_day: DATE, aa_lookback: days): "has it used this before, on how many days".
CREATE OR REPLACE TEMP TABLE history_values AS
SELECT
    identity_id,
    dimension,
    value,
    min(first_time) AS first_seen,
    max(last_time) AS last_seen,
    CAST(sum(events) AS BIGINT) AS events,
    count(*) AS days_seen  -- one row per identity, day and value
FROM history_day_values
GROUP BY identity_id, dimension, value
