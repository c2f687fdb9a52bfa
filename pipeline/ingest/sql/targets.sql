-- Audit targetResources (JSON text) -> list of TARGET structs, with modifiedProperties old and new
-- values decoded from their JSON-in-string form (twice, for the double-encoded ones).
WITH parsed AS (
    SELECT
        idx,
        try(json_transform(
            targets_json,
            '[{"id": "VARCHAR", "type": "VARCHAR", "displayName": "VARCHAR",
               "userPrincipalName": "VARCHAR", "agentType": "VARCHAR",
               "modifiedProperties": [{"displayName": "VARCHAR", "oldValue": "VARCHAR",
                                       "newValue": "VARCHAR"}]}]'
        )) AS tr
    FROM targets
)
SELECT
    idx,
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
ORDER BY idx
