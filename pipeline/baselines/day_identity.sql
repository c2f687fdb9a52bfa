-- The per-identity rollup of the judged day aa_day (the features the day is judged on).
CREATE OR REPLACE TEMP VIEW day_identity AS
SELECT * FROM identity_day WHERE date = getvariable('aa_day')
