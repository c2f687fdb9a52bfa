-- One JSON parse per record: every path the record's dialect needs, as text (objects and arrays
-- as JSON text). Malformed JSON gives NULL, which the caller quarantines.
SELECT line_no, _pos, try(json_extract_string(raw, $paths)) AS f
FROM batch
