-- Each identity's peer group (its blueprint, else its kind) in the look-back window before aa_day.
CREATE OR REPLACE TEMP TABLE peer_groups AS
SELECT
    identity_id,
    coalesce(arg_max(blueprint, day) FILTER (WHERE blueprint IS NOT NULL),
             arg_max(identity_kind, day)) AS peer_group
FROM identity_day
WHERE date < getvariable('aa_day')
  AND date >= getvariable('aa_day') - CAST(getvariable('aa_lookback') AS INTEGER)
  AND identity_id IS NOT NULL
GROUP BY identity_id
