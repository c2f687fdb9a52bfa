-- The layout of a whole JSON document (bound as a parameter), without building it in Python:
-- its type, whether it wraps records / value / results arrays or Log Analytics API tables, and
-- the first record of each layout.
SELECT
    json_type($doc) AS kind,
    json_type($doc, '$.records') AS records_type,
    json_type($doc, '$.value') AS value_type,
    CAST(json_extract($doc, '$[0]') AS VARCHAR) AS first_item,
    CAST(json_extract($doc, '$.records[0]') AS VARCHAR) AS first_record,
    CAST(json_extract($doc, '$.value[0]') AS VARCHAR) AS first_value,
    json_type($doc, '$.results') AS results_type,
    CAST(json_extract($doc, '$.results[0]') AS VARCHAR) AS first_results,
    json_type($doc, '$.Results') AS Results_type,
    CAST(json_extract($doc, '$.Results[0]') AS VARCHAR) AS first_Results,
    json_type($doc, '$.tables[0].rows') AS tables_type
