-- A whole JSON document (bound as a parameter) -> one row per record, numbered from 1.
SELECT CAST(row_number() OVER () AS BIGINT) AS line_no, CAST(item AS VARCHAR) AS raw
FROM (SELECT unnest(json_extract($doc, $items)) AS item)
