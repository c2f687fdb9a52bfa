-- AA-C01: the credential-abuse chain on one application within a day: a credential added to it
-- (its app registration or its service principal), a grant of high-impact scopes to it, then data
-- read or written by it. Judged on the day of the first data access after both changes; all
-- three steps lie within $window_hours of the first change. The app is the app id app_links
-- ties the registration, the principal and the activity by (or the object id where no app id is
-- known). One row per app and chain. An application its registered owner or sponsor created
-- within $window_hours before the chain is being provisioned (its first credential and grant),
-- not taken over: not a chain. One anybody else created is.
-- Parameters: $day, $day_start, $day_end, $window_hours, $credential_pattern, $grant_pattern,
-- $impact_pattern, $owner_pairs ('<agent key>|<owner or sponsor>'), $max_evidence.
WITH credentials AS (
    SELECT
        a.event_id,
        a.event_time,
        a.activity,
        coalesce(a.initiator_name, a.initiator_id, a.initiator_app_id) AS initiator,
        a.user_agent,
        lower(t.id) AS object_id,
        t.display_name AS name,
        coalesce(lower(a.additional_details['AppId']), ao.app_id, lower(t.id)) AS app_key
    FROM (
        SELECT *, list_filter(targets, lambda x: x.id IS NOT NULL)[1] AS t FROM audits
        WHERE date BETWEEN CAST($day_start - to_hours($window_hours) AS DATE) AND $day
          AND NOT conflicting_duplicate
    ) AS a
    LEFT JOIN app_of_object AS ao ON ao.object_id = lower(a.t.id)
    WHERE a.event_time >= $day_start - to_hours($window_hours)
      AND a.event_time < $day_end
      AND regexp_matches(lower(coalesce(a.activity, '')), $credential_pattern)
      AND NOT regexp_matches(lower(coalesce(a.activity, '')), '^\s*(remove|delete)')
      AND lower(coalesce(a.result, 'success')) IN ('success', '')
      AND a.t.id IS NOT NULL
      AND lower(coalesce(a.t.type, '')) NOT IN ('user', 'agentuser')
),
births AS (
    -- applications created in the window: their first credential and grant are provisioning,
    -- not the takeover of an existing application this chain is about
    SELECT
        coalesce(lower(a.additional_details['AppId']), ao.app_id, lower(a.t.id)) AS app_key,
        min(a.event_time) AS born,
        arg_min(lower(a.t.id), a.event_time) AS object_id,
        arg_min(lower(coalesce(a.initiator_name, a.initiator_id, '')), a.event_time) AS creator
    FROM (
        SELECT *, list_filter(targets, lambda x: x.id IS NOT NULL)[1] AS t FROM audits
        WHERE date BETWEEN CAST($day_start - to_hours(2 * $window_hours) AS DATE) AND $day
          AND NOT conflicting_duplicate
    ) AS a
    LEFT JOIN app_of_object AS ao ON ao.object_id = lower(a.t.id)
    WHERE creates_principal(a.activity)
      AND lower(coalesce(a.result, 'success')) IN ('success', '')
      AND a.t.id IS NOT NULL
    GROUP BY 1
),
grants AS (
    SELECT
        g.event_id,
        g.event_time,
        g.activity,
        g.initiator,
        g.granted,
        g.resource_name,
        g.grantee_id AS object_id,
        g.grantee_name AS name,
        coalesce(g.grantee_app_id, g.grantee_id) AS app_key
    FROM permission_grants AS g
    WHERE g.date BETWEEN CAST($day_start - to_hours($window_hours) AS DATE) AND $day
      AND g.event_time >= $day_start - to_hours($window_hours)
      AND g.event_time < $day_end
      AND regexp_matches(lower(coalesce(g.activity, '')), $grant_pattern)
      AND regexp_matches(lower(coalesce(g.granted, '')), $impact_pattern)
),
chains AS (
    -- the first credential and the first grant of each app, in either order, within the window
    SELECT
        c.app_key,
        min(c.event_time) AS credential_time,
        arg_min(c.event_id, c.event_time) AS credential_event,
        arg_min(c.activity, c.event_time) AS credential_activity,
        arg_min(c.initiator, c.event_time) AS credential_by,
        arg_min(c.user_agent, c.event_time) AS credential_client,
        arg_min(c.object_id, c.event_time) AS credential_object,
        min(g.event_time) AS grant_time,
        arg_min(g.event_id, g.event_time) AS grant_event,
        arg_min(g.initiator, g.event_time) AS grant_by,
        string_agg(DISTINCT g.granted, ', ' ORDER BY g.granted) AS granted,
        string_agg(DISTINCT g.resource_name, ', ' ORDER BY g.resource_name) AS resources,
        list(DISTINCT g.event_id ORDER BY g.event_id) AS grant_events,
        coalesce(any_value(g.name), any_value(c.name)) AS name,
        any_value(g.object_id) AS grantee_object
    FROM credentials AS c
    JOIN grants AS g
      ON g.app_key = c.app_key
     AND abs(epoch(g.event_time) - epoch(c.event_time)) <= $window_hours * 3600
    GROUP BY c.app_key
),
access AS (
    SELECT
        ch.app_key,
        e.event_id,
        e.event_time,
        e.operation,
        e.resource_path,
        e.source_log
    FROM chains AS ch
    JOIN activity AS e
      ON (lower(e.app_id) = ch.app_key OR lower(e.service_principal_id) = ch.app_key
          OR lower(e.service_principal_id) = ch.grantee_object)
    WHERE e.date BETWEEN CAST($day_start - to_hours($window_hours) AS DATE) AND $day
      AND e.event_time >= greatest(ch.credential_time, ch.grant_time)
      AND e.event_time <= least(ch.credential_time, ch.grant_time) + to_hours($window_hours)
      AND e.event_time < $day_end
      AND coalesce(e.status_code, 200) < 400
      AND NOT e.conflicting_duplicate
),
first_access AS (
    SELECT
        app_key,
        min(event_time) AS first_time,
        max(event_time) AS last_time,
        count(*) AS n_access,
        string_agg(DISTINCT operation, ', ' ORDER BY operation) AS operations,
        list(event_id ORDER BY event_time) AS access_events
    FROM access
    GROUP BY app_key
)
SELECT
    coalesce(ps.sp_id, ch.grantee_object, ch.credential_object) AS identity_id,
    ch.name AS identity_name,
    CASE WHEN ch.app_key <> coalesce(ps.sp_id, ch.grantee_object, ch.credential_object)
         THEN ch.app_key END AS chain_app_id,
    ch.credential_time,
    ch.credential_activity,
    ch.credential_by,
    ch.credential_client,
    ch.credential_object,
    ch.grant_time,
    ch.grant_by,
    ch.granted,
    ch.resources,
    fa.first_time,
    fa.n_access,
    fa.operations,
    least(ch.credential_time, ch.grant_time) AS window_start,
    fa.first_time AS window_end,
    ([ch.credential_event] || ch.grant_events || fa.access_events)[1:$max_evidence] AS evidence
FROM chains AS ch
JOIN first_access AS fa USING (app_key)
LEFT JOIN principal_of_app AS ps ON ps.app_id = ch.app_key
LEFT JOIN births AS b ON b.app_key = ch.app_key
WHERE fa.first_time >= $day_start
  -- provisioning: created within the window by its registered owner or sponsor
  AND NOT coalesce(b.born BETWEEN least(ch.credential_time, ch.grant_time) - to_hours($window_hours)
                              AND least(ch.credential_time, ch.grant_time)
                   AND (list_contains($owner_pairs, b.app_key || '|' || b.creator)
                        OR list_contains($owner_pairs, b.object_id || '|' || b.creator)), false)
ORDER BY identity_id
