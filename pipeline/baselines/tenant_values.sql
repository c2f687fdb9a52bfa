-- How many identities of the tenant used each value in the look-back window before aa_day.
CREATE OR REPLACE TEMP TABLE tenant_values AS
SELECT dimension, value, count(DISTINCT identity_id) AS identities
FROM history_values
WHERE identity_id IS NOT NULL
GROUP BY dimension, value
