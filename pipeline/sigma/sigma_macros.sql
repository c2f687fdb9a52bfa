-- Reading a field of the original record (the `raw` column) in any of the shapes the lake keeps:
-- Event Hub / storage (`properties.<graph path>`), Microsoft Graph (`<graph path>` at the top),
-- Log Analytics / Sentinel (`<Column>` at the top, a nested value as an object or, from a CSV
-- export, as JSON text). The first non-empty one wins; a record that is no JSON reads as null.
CREATE OR REPLACE {temp} MACRO sigma_raw(j, graph, sentinel) AS nullif(try(coalesce(
    json_extract_string(j, '$.properties.' || graph),
    json_extract_string(j, '$.' || graph),
    json_extract_string(j, '$.' || sentinel)
)), '');
-- The same for a value nested in a Sentinel column: `sentinel` is the column, `sub` the path in it.
CREATE OR REPLACE {temp} MACRO sigma_raw_in(j, graph, sentinel, sub) AS nullif(try(coalesce(
    json_extract_string(j, '$.properties.' || graph),
    json_extract_string(j, '$.' || graph),
    json_extract_string(j, '$.' || sentinel || '.' || sub),
    CASE WHEN json_valid(json_extract_string(j, '$.' || sentinel))
         THEN json_extract_string(json_extract_string(j, '$.' || sentinel), '$.' || sub) END
)), '');
-- A nested object or array of the record as JSON text (`[]` stays `[]`).
CREATE OR REPLACE {temp} MACRO sigma_raw_json(j, graph, sentinel) AS try(coalesce(
    json_extract(j, '$.properties.' || graph),
    json_extract(j, '$.' || graph),
    CASE WHEN json_valid(json_extract_string(j, '$.' || sentinel))
         THEN json(json_extract_string(j, '$.' || sentinel)) END
)::VARCHAR);
