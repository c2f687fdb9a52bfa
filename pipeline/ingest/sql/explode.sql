-- Wrapper lines ({"records": [...]} or {"value": [...]}) -> one row per record, keeping the line
-- number; a line that is not such a wrapper (or not JSON) stays as it is, to be judged later.
WITH x AS (
    SELECT line_no, raw, try(json_type(raw, $key)) = 'ARRAY' AS wraps
    FROM wrapped
)
SELECT line_no, CAST(unnest(json_extract(raw, $items)) AS VARCHAR) AS raw
FROM x
WHERE wraps
UNION ALL
SELECT line_no, raw
FROM x
WHERE wraps IS NOT TRUE
ORDER BY line_no
