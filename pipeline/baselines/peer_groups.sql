-- Each identity's peer group in the look-back window before aa_day: its blueprint, else its
-- creation channel when one is known ('channel:copilot-studio', creation_channels.sql), else its
-- kind.
CREATE OR REPLACE TEMP TABLE peer_groups AS
SELECT
    d.identity_id,
    coalesce(arg_max(d.blueprint, d.day) FILTER (WHERE d.blueprint IS NOT NULL),
             'channel:' || any_value(nullif(c.creation_channel, 'unknown')),
             arg_max(d.identity_kind, d.day)) AS peer_group
FROM identity_day AS d
LEFT JOIN creation_channels AS c ON c.identity_id = lower(d.identity_id)
WHERE d.date < getvariable('aa_day')
  AND d.date >= getvariable('aa_day') - CAST(getvariable('aa_lookback') AS INTEGER)
  AND d.identity_id IS NOT NULL
GROUP BY d.identity_id
