-- The look-back window of the per-day distinct values (identity_day_values): one row per
-- identity, day, dimension and value strictly before aa_day, over aa_lookback days.
CREATE OR REPLACE TEMP VIEW history_day_values AS
SELECT *
FROM identity_day_values
WHERE date < getvariable('aa_day')
  AND date >= getvariable('aa_day') - CAST(getvariable('aa_lookback') AS INTEGER)
