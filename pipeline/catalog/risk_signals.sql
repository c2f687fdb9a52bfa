-- What Identity Protection says about an identity, one row per signal: the risk_events table
-- (risky users, service principals and agents, their risk detections; a risk dismissed,
-- remediated or confirmed safe says nothing) and the sign-ins it judged risky (riskEventTypes,
-- riskLevelDuringSignIn, riskState on the sign-in itself). keys: the ids the signal's identity
-- is known by (object id, service principal id, app id), lower case, to meet a finding's
-- identity.
CREATE OR REPLACE {temp} VIEW risk_signals AS
WITH signin_risk AS (
    SELECT
        s.*,
        coalesce(
            try(CAST(json_extract_string(s.raw, '$.riskEventTypes_v2[*]') AS VARCHAR[])),
            try(CAST(json_extract_string(s.raw, '$.properties.riskEventTypes_v2[*]')
                AS VARCHAR[])),
            try(CAST(json_extract_string(s.raw, '$.riskEventTypes[*]') AS VARCHAR[])),
            try(CAST(json_extract_string(s.raw, '$.properties.riskEventTypes[*]') AS VARCHAR[])),
            try(CAST(json_extract_string(json_extract_string(s.raw, '$.RiskEventTypes_V2'),
                '$[*]') AS VARCHAR[])),
            try(CAST(json_extract_string(json_extract_string(s.raw, '$.RiskEventTypes'),
                '$[*]') AS VARCHAR[]))) AS types
    FROM signins AS s
    WHERE lower(coalesce(s.risk_level, '')) IN ('low', 'medium', 'high')
       OR lower(coalesce(s.risk_state, '')) IN ('atrisk', 'confirmedcompromised')
)
SELECT
    r.event_id,
    'risk_events' AS source,
    r.risk_kind,
    r.event_time,
    r.date AS day,
    list_filter([lower(r.actor_id)], lambda k: k IS NOT NULL) AS keys,
    coalesce(r.user_principal_name, r.user_display_name, r.actor_id) AS name,
    list_filter([r.risk_event_type], lambda t: nullif(t, '') IS NOT NULL) AS risk_event_types,
    lower(r.risk_level) AS risk_level,
    r.risk_state,
    r.risk_detail
FROM risk_events AS r
WHERE r.actor_id IS NOT NULL
  AND lower(coalesce(r.risk_state, '')) NOT IN ('dismissed', 'remediated', 'confirmedsafe')
UNION ALL
SELECT
    s.event_id,
    'signins',
    'risky_signin',
    s.event_time,
    s.date,
    list_filter(CASE WHEN s.user_id IS NOT NULL THEN [lower(s.user_id)]  -- not the person's app
                     ELSE [lower(s.service_principal_id), lower(s.app_id)] END,
        lambda k: k IS NOT NULL),
    coalesce(s.user_principal_name, s.service_principal_name, s.app_display_name),
    list_filter(coalesce(s.types, []), lambda t: nullif(t, '') IS NOT NULL
        AND lower(t) <> 'none'),
    lower(s.risk_level),
    s.risk_state,
    CAST(NULL AS VARCHAR)
FROM signin_risk AS s
WHERE NOT s.conflicting_duplicate
  -- a level alone is no verdict: service principal and managed identity sign-ins carry
  -- riskLevelDuringSignIn "low" with riskState "none" routinely (the real Azure Monitor exports)
  AND (lower(coalesce(s.risk_state, '')) IN ('atrisk', 'confirmedcompromised')
       OR len(list_filter(coalesce(s.types, []), lambda t: nullif(t, '') IS NOT NULL
              AND lower(t) <> 'none')) > 0)
