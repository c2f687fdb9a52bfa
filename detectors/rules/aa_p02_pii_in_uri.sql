-- AA-P02: request URIs of the judged day that carry personal data (candidates; the rule checks
-- card numbers with Luhn and IBANs with mod 97). GUIDs and the /users/{upn} addressing Graph
-- itself uses are removed first, so object ids and UPN lookups are not mistaken for PII.
WITH day_uris AS (
    SELECT
        event_id, event_time, identity_id, identity_kind, identity_name, app_id, blueprint,
        sponsor, kind_source, on_behalf_of_id, resource_path,
        regexp_replace(
            regexp_replace(
                url_decode(replace(request_uri, '+', '%2B')),
                '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}',
                '{id}', 'g'),
            '/(users|me/people|contacts)/[^/?&#]+', '/\1/{id}', 'gi') AS uri
    FROM day_events
    WHERE day = $day AND request_uri IS NOT NULL AND length(request_uri) > 8
),
candidates AS (
    SELECT
        *,
        regexp_extract_all(uri, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}')
            AS emails,
        regexp_extract_all(uri, '(?:^|[^0-9A-Za-z])(\+[1-9][0-9]{0,2}[ .-]?(?:\([0-9]{1,4}\)|[0-9]{1,4})[ .-]?[0-9]{2,4}[ .-]?[0-9]{2,4}[ .-]?[0-9]{0,4})', 1)
            AS phones,
        regexp_extract_all(uri, '(?:^|[^0-9])([0-9]{3}-[0-9]{2}-[0-9]{4})(?:[^0-9]|$)', 1)
            AS national_ids,
        regexp_extract_all(uri, '(?:^|[^0-9A-Za-z-])((?:[0-9][ -]?){12,18}[0-9])(?:[^0-9A-Za-z-]|$)', 1)
            AS cards,
        regexp_extract_all(upper(uri), '(?:^|[^0-9A-Z])([A-Z]{2}[0-9]{2}[A-Z0-9]{11,30})(?:[^0-9A-Z]|$)', 1)
            AS ibans
    FROM day_uris
    WHERE regexp_matches(uri, '@|\+[1-9]|[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9][0-9 -]{11,}[0-9]|[A-Za-z]{2}[0-9]{2}[A-Za-z0-9]{11,}')
)
SELECT
    event_id, event_time, identity_id, identity_kind, identity_name, app_id, blueprint, sponsor,
    kind_source, on_behalf_of_id, resource_path, emails, phones, national_ids, cards, ibans
FROM candidates
WHERE len(emails) + len(phones) + len(national_ids) + len(cards) + len(ibans) > 0
ORDER BY identity_id, event_time
