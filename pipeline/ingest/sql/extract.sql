-- One JSON parse per record: every path the record's dialect needs, as text (objects and arrays
-- as JSON text). Fails on malformed JSON; the caller then runs extract_lenient.sql.
SELECT line_no, _pos, json_extract_string(raw, $paths) AS f
FROM batch
