-- Quarantined input rows by reason, most frequent first. $1: the quarantine Parquet glob.
SELECT reason, count(*) AS rows
FROM read_parquet($1, union_by_name = true)
GROUP BY reason
ORDER BY rows DESC, reason
LIMIT 50
