-- AA-G04: agents silent for at least $dormant_days before the judged day that still hold
-- credentials or permissions (they signed in with one, or audits granted them one) and were not
-- deleted or disabled since. One row per agent: a hygiene finding.
-- Parameters: $day, $day_start, $cutoff (day_start minus the dormancy period), $agent_kinds,
-- $registered and $disabled (lower-cased ids / app ids), $grant_pattern, $retire_pattern.
WITH seen AS (
    -- from the per identity-day rollups: one row per identity and day, not per event
    SELECT
        identity_id,
        arg_max(identity_kind, last_time) AS identity_kind,
        arg_max(identity_name, last_time) AS identity_name,
        arg_max(app_id, last_time) AS app_id,
        arg_max(blueprint, last_time) AS blueprint,
        arg_max(sponsor, last_time) AS sponsor,
        arg_max(kind_source, last_time) AS kind_source,
        max(last_time) AS last_time,
        CAST(max(day) AS DATE) AS last_day,
        min(first_time) AS first_time,
        sum(events) AS n_events,
        max(distinct_credential_keys) AS n_credentials,
        sum(signins - failed_signins) > 0 AS signed_in
    FROM identity_day
    WHERE day < $day
      AND identity_id IS NOT NULL
      AND (list_contains($agent_kinds, identity_kind)
           OR registered IS true
           OR list_contains($registered, lower(identity_id))
           OR list_contains($registered, lower(coalesce(app_id, ''))))
    GROUP BY identity_id
),
dormant AS (
    SELECT * FROM seen WHERE last_time < $cutoff
),

target_audits AS (
    SELECT
        lower(t.id) AS target_key,
        a.event_id,
        a.event_time,
        a.activity,
        regexp_matches(lower(coalesce(a.activity, '')), $grant_pattern) AS is_grant,
        regexp_matches(lower(coalesce(a.activity, '')), $retire_pattern)
            OR list_has_any(
                list_transform(coalesce(t.modified_properties, []),
                    lambda m: lower(coalesce(m.name, '')) || '=' ||
                        lower(trim(coalesce(m.new_value, ''), '"[] '))),
                ['accountenabled=false']) AS is_retire
    FROM audits AS a, unnest(a.targets) AS u(t)
    WHERE a.event_time < $day_start
      AND t.id IS NOT NULL
      AND lower(coalesce(a.result, 'success')) IN ('success', '')
),
per_target AS (
    SELECT
        target_key,
        list(event_id ORDER BY event_time) FILTER (WHERE is_grant) AS grant_events,
        string_agg(DISTINCT activity, '; ' ORDER BY activity) FILTER (WHERE is_grant) AS grants,
        max(event_time) FILTER (WHERE is_retire) AS retired_time
    FROM target_audits
    WHERE is_grant OR is_retire
    GROUP BY target_key
)
SELECT
    d.*,
    d.last_time AS window_start,
    $day_start AS window_end,
    date_diff('day', d.last_time, $day_start) AS days_silent,
    p.grants,
    len(coalesce(p.grant_events, [])) AS n_grants,
    coalesce(p.grant_events, [])[1:50] AS grant_evidence
FROM dormant AS d
LEFT JOIN per_target AS p
  ON p.target_key = lower(d.identity_id) OR p.target_key = lower(coalesce(d.app_id, ''))
WHERE (p.retired_time IS NULL OR p.retired_time < d.last_time)
  AND NOT list_contains($disabled, lower(d.identity_id))
  AND NOT list_contains($disabled, lower(coalesce(d.app_id, '')))
  AND (d.signed_in OR d.n_credentials > 0 OR p.grant_events IS NOT NULL)
ORDER BY d.identity_id
