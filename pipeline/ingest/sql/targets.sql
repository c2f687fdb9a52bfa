-- Audit targetResources (JSON text) -> list of TARGET structs, with modifiedProperties old and new
-- values decoded from their JSON-in-string form (twice, for the double-encoded ones) and keyed by
-- name in `modified`; additionalDetails (JSON text, [{key, value}]) -> a name -> value map, and the
-- initiator's User-Agent from it. A repeated name keeps its first value (a map's keys are unique).
WITH parsed AS (
    SELECT
        idx,
        try(json_transform(
            details_json, '[{"key": "VARCHAR", "value": "VARCHAR"}]'
        )) AS details,
        try(json_transform(
            targets_json,
            '[{"id": "VARCHAR", "type": "VARCHAR", "displayName": "VARCHAR",
               "userPrincipalName": "VARCHAR", "agentType": "VARCHAR",
               "modifiedProperties": [{"displayName": "VARCHAR", "oldValue": "VARCHAR",
                                       "newValue": "VARCHAR"}]}]'
        )) AS tr
    FROM targets
),
decoded AS (
SELECT
    idx,
    details,
    list_transform(tr, lambda t: {
        'id': t.id,
        'type': t.type,
        'display_name': t.displayName,
        'user_principal_name': t.userPrincipalName,
        'agent_type': t.agentType,
        'modified_properties': list_transform(t.modifiedProperties, lambda m: {
            'name': m.displayName,
            'old_value': CASE
                WHEN starts_with(m.oldValue, '"') AND json_valid(m.oldValue) THEN (
                    CASE
                        WHEN starts_with(json_extract_string(m.oldValue, '$'), '"')
                            AND json_valid(json_extract_string(m.oldValue, '$'))
                        THEN json_extract_string(json_extract_string(m.oldValue, '$'), '$')
                        ELSE json_extract_string(m.oldValue, '$')
                    END)
                ELSE m.oldValue
            END,
            'new_value': CASE
                WHEN starts_with(m.newValue, '"') AND json_valid(m.newValue) THEN (
                    CASE
                        WHEN starts_with(json_extract_string(m.newValue, '$'), '"')
                            AND json_valid(json_extract_string(m.newValue, '$'))
                        THEN json_extract_string(json_extract_string(m.newValue, '$'), '$')
                        ELSE json_extract_string(m.newValue, '$')
                    END)
                ELSE m.newValue
            END
        })
    }) AS targets,
    list_filter(list_transform(tr, lambda t: t.id), lambda x: x IS NOT NULL) AS target_ids
FROM parsed
)
SELECT
    idx,
    list_transform(targets, lambda t: struct_insert(t, modified := map_from_entries(list_filter(
        list_transform(t.modified_properties, lambda m: {
            'key': m.name, 'value': {'old_value': m.old_value, 'new_value': m.new_value}}),
        lambda e, i: e.key IS NOT NULL AND list_position(
            list_transform(t.modified_properties, lambda m: m.name), e.key) = i)))) AS targets,
    target_ids,
    map_from_entries(list_filter(
        list_transform(details, lambda d: {'key': d.key, 'value': d.value}),
        lambda e, i: e.key IS NOT NULL AND list_position(
            list_transform(details, lambda d: d.key), e.key) = i)) AS additional_details,
    list_filter(details, lambda d: lower(replace(d.key, '-', '')) = 'useragent')[1].value
        AS user_agent
FROM decoded
ORDER BY idx
