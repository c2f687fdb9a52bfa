-- AA-G02: app roles, directory roles, consent or delegated permissions granted to an agent or
-- service principal on the judged day. One row per grantee (resolved by the permission_grants
-- view: the client of a grant logged on Microsoft Graph, not Graph), with what was granted, by
-- whom, whether it reaches tenant-wide privileges or data (mail, files, sites, directory), and
-- whether it came with the grantee's creation (its owner provisioning a new agent).
-- Parameters: $day, $day_start, $day_end, $activity_pattern, $privileged_pattern,
-- $data_pattern (regexes over lower case text), $owner_pairs, $max_evidence.
WITH held AS (
    SELECT
        g.*,
        list_contains($owner_pairs, g.grantee_id || '|' || lower(coalesce(g.initiator, '')))
            OR list_contains($owner_pairs,
                g.grantee_id || '|' || lower(coalesce(g.initiator_id, ''))) AS by_owner,
        regexp_matches(lower(coalesce(g.granted, '') || ' ' || lower(g.activity)),
            $privileged_pattern) AS privileged,
        regexp_matches(lower(coalesce(g.granted, '')), $data_pattern) AS reaches_data,
        -- provisioning: the grantee was created in the 24 hours before (its first permissions)
        EXISTS (
            SELECT 1 FROM audits AS c
            WHERE c.date >= CAST($day AS DATE) - 1 AND c.date <= $day
              AND c.event_time BETWEEN g.event_time - INTERVAL 1 DAY AND g.event_time
              AND creates_principal(c.activity)
              AND list_contains(list_transform(c.target_ids, lambda x: lower(x)), g.grantee_id)
        ) AS provisioning
    FROM permission_grants AS g
    WHERE g.date = $day
      AND g.event_time >= $day_start
      AND g.event_time < $day_end
      AND regexp_matches(lower(coalesce(g.activity, '')), $activity_pattern)
      AND g.grantee_type IN ('serviceprincipal', 'application', 'agentidentity', 'agentuser',
                             'agentidentityblueprint')
)
SELECT
    grantee_id AS identity_id,
    any_value(grantee_name) AS identity_name,
    any_value(grantee_agent_type) AS target_agent_type,
    any_value(grantee_type) AS target_type,
    any_value(grantee_app_id) AS grantee_app_id,
    count(*) AS n_grants,
    string_agg(DISTINCT activity, '; ' ORDER BY activity) AS activities,
    string_agg(DISTINCT granted, ', ' ORDER BY granted) AS granted,
    string_agg(DISTINCT resource_name, ', ' ORDER BY resource_name) AS resources,
    string_agg(DISTINCT initiator, ', ' ORDER BY initiator) AS initiators,
    bool_and(by_owner) AS all_by_owner,
    bool_and(provisioning) AS all_provisioning,
    bool_or(privileged) AS any_privileged,
    bool_or(reaches_data) AS any_data,
    min(event_time) AS window_start,
    max(event_time) AS window_end,
    list(event_id ORDER BY event_time)[1:$max_evidence] AS evidence
FROM held
GROUP BY grantee_id
ORDER BY grantee_id
