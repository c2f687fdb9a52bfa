-- The look-back window: each identity's per-day rollup rows strictly before the judged day aa_day,
-- over aa_lookback days ([detectors.baseline] lookback_days). Every "before day D over N days"
-- question of the rules reads this view (or history_day_values), never identity_day with its own
-- bounds.
CREATE OR REPLACE TEMP VIEW history_days AS
SELECT *
FROM identity_day
WHERE date < getvariable('aa_day')
  AND date >= getvariable('aa_day') - CAST(getvariable('aa_lookback') AS INTEGER)
  AND identity_id IS NOT NULL
