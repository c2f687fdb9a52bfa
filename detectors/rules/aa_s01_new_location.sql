-- AA-S01: successful sign-ins on the judged day from a country or network (ASN) new to the
-- identity's history (IPs new too are counted). Identities without history are left to their
-- learning period. One row per identity.
-- Parameters: $day_start, $day_end, $declared (lower-cased '<agent key>|<country>' pairs),
-- $declaring (lower-cased keys of agents that declare countries), $max_evidence.
WITH known AS (
    SELECT DISTINCT identity_id FROM history_values
),
known_dimensions AS (
    -- a value can only be new in a dimension the identity's history has values for
    SELECT DISTINCT identity_id, dimension
    FROM history_values
    WHERE dimension IN ('country', 'asn', 'ip')
),
today AS (
    SELECT e.*
    FROM day_events AS e
    JOIN known AS k USING (identity_id)
    WHERE e.table_name = 'signins' AND e.succeeded IS true
),
judged AS (
    SELECT
        t.*,
        t.country IS NOT NULL AND EXISTS (
            SELECT 1 FROM known_dimensions AS d
            WHERE d.identity_id = t.identity_id AND d.dimension = 'country') AND NOT EXISTS (
            SELECT 1 FROM history_values AS h
            WHERE h.identity_id = t.identity_id AND h.dimension = 'country'
              AND upper(h.value) = t.country) AS new_country,
        t.asn IS NOT NULL AND EXISTS (
            SELECT 1 FROM known_dimensions AS d
            WHERE d.identity_id = t.identity_id AND d.dimension = 'asn') AND NOT EXISTS (
            SELECT 1 FROM history_values AS h
            WHERE h.identity_id = t.identity_id AND h.dimension = 'asn'
              AND h.value = CAST(t.asn AS VARCHAR)) AS new_asn,
        t.ip_address IS NOT NULL AND EXISTS (
            SELECT 1 FROM known_dimensions AS d
            WHERE d.identity_id = t.identity_id AND d.dimension = 'ip') AND NOT EXISTS (
            SELECT 1 FROM history_values AS h
            WHERE h.identity_id = t.identity_id AND h.dimension = 'ip'
              AND h.value = t.ip_address) AS new_ip,
        (SELECT max(v.identities) FROM tenant_values AS v
         WHERE v.dimension = 'country' AND upper(v.value) = t.country) AS tenant_identities,
        (list_contains($declaring, lower(t.identity_id))
            OR list_contains($declaring, lower(coalesce(t.app_id, ''))))
            AND t.country IS NOT NULL
            AND NOT list_contains($declared, lower(t.identity_id) || '|' || lower(t.country))
            AND NOT list_contains($declared,
                lower(coalesce(t.app_id, '')) || '|' || lower(t.country)) AS outside_declared
    FROM today AS t
),
usual AS (
    -- the countries of each identity's history, one row an identity (joined: Spark runs no
    -- subquery correlated on a grouped column)
    SELECT identity_id, string_agg(DISTINCT value, ', ' ORDER BY value) AS usual_countries
    FROM history_values
    WHERE dimension = 'country'
    GROUP BY identity_id
),
flagged AS (
    SELECT
        j.*,
        regexp_matches(lower(coalesce(
            try(json_extract_string(s.raw, '$.properties.authenticationRequirement')),
            try(json_extract_string(s.raw, '$.authenticationRequirement')),
            try(json_extract_string(s.raw, '$.AuthenticationRequirement')), '')),
            'multifactor') AS mfa
    FROM judged AS j
    LEFT JOIN signins AS s
      ON s.event_id = j.event_id AND s.date = $day
     AND s.event_time >= $day_start AND s.event_time < $day_end
    WHERE j.new_country OR j.new_asn OR j.outside_declared
)
SELECT
    identity_id,
    any_value(identity_kind) AS identity_kind,
    any_value(identity_name) AS identity_name,
    any_value(app_id) AS app_id,
    any_value(blueprint) AS blueprint,
    any_value(sponsor) AS sponsor,
    any_value(kind_source) AS kind_source,
    count(*) AS n_signins,
    count(*) FILTER (WHERE new_country) AS n_new_country,
    count(*) FILTER (WHERE new_asn) AS n_new_asn,
    count(*) FILTER (WHERE new_ip) AS n_new_ip,
    count(*) FILTER (WHERE outside_declared) AS n_outside_declared,
    string_agg(DISTINCT country, ', ' ORDER BY country) FILTER (WHERE new_country) AS new_countries,
    string_agg(DISTINCT CAST(asn AS VARCHAR), ', ' ORDER BY CAST(asn AS VARCHAR))
        FILTER (WHERE new_asn) AS new_asns,
    string_agg(DISTINCT ip_address, ', ' ORDER BY ip_address) FILTER (WHERE new_ip) AS new_ips,
    string_agg(DISTINCT country, ', ' ORDER BY country) FILTER (WHERE outside_declared)
        AS outside_countries,
    -- one MFA sign-in from the new place vouches for the session's refresh sign-ins
    bool_or(mfa) AS any_mfa,
    min(coalesce(tenant_identities, 0)) FILTER (WHERE new_country) AS min_tenant_identities,
    any_value(u.usual_countries) AS usual_countries,
    min(event_time) AS window_start,
    max(event_time) AS window_end,
    list(event_id ORDER BY event_time)[1:$max_evidence] AS evidence
FROM flagged
LEFT JOIN usual AS u USING (identity_id)
GROUP BY identity_id
ORDER BY identity_id
