-- A Log Analytics query API response ({"tables": [{"columns": [{"name": …}], "rows": [[…]]}]},
-- bound as a parameter) -> one JSON object per row, its keys the column names, numbered from 1.
WITH tabs AS (
    SELECT unnest(json_extract($doc, '$.tables[*]')) AS tab
), rows_of AS (
    SELECT json_extract_string(tab, '$.columns[*].name') AS names,
           unnest(json_extract(tab, '$.rows[*]')) AS r
    FROM tabs
)
SELECT CAST(row_number() OVER () AS BIGINT) AS line_no,
       CAST(to_json(map_from_entries(list_zip(names, json_extract(r, '$[*]')))) AS VARCHAR) AS raw
FROM rows_of
