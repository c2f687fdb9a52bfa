-- AA-G02: app roles, directory roles or consent granted to an agent or service principal on the
-- judged day. One row per grantee, with the permissions granted and who granted them.
-- Parameters: $day_start, $day_end, $activity_pattern, $privileged_pattern (regexes over lower
-- case text), $registered (lower-cased ids / app ids of registered agents), $owner_pairs,
-- $max_evidence.
WITH grants AS (
    SELECT
        a.event_id,
        a.event_time,
        a.activity,
        coalesce(a.initiator_name, a.initiator_id, a.initiator_app_id) AS initiator,
        a.initiator_id,
        a.targets,
        -- what was granted: role / app role / scope names from the modified properties and the
        -- names of Role targets
        concat_ws(', ',
            list_aggregate(list_transform(
                flatten(list_transform(a.targets, lambda t: coalesce(t.modified_properties, []))),
                lambda m: CASE WHEN regexp_matches(lower(coalesce(m.name, '')),
                    'approle\.value|approle\.displayname|role\.displayname|role\.templateid'
                    || '|consentaction\.permissions|permissiongrant\.scope|scope')
                    THEN trim(coalesce(m.new_value, ''), '"[] ') END), 'string_agg', ', '),
            list_aggregate(list_transform(a.targets,
                lambda t: CASE WHEN lower(coalesce(t.type, '')) IN ('role', 'directoryrole')
                    THEN t.display_name END), 'string_agg', ', ')
        ) AS granted
    FROM audits AS a
    WHERE a.date = $day
      AND NOT a.conflicting_duplicate  -- a later version of an event counts once
      AND a.event_time >= $day_start
      AND a.event_time < $day_end
      AND regexp_matches(lower(coalesce(a.activity, '')), $activity_pattern)
      AND lower(coalesce(a.result, 'success')) IN ('success', '')
),
candidates AS (
    SELECT
        g.*,
        unnest(g.targets) AS t,
        generate_subscripts(g.targets, 1) AS pos
    FROM grants AS g
),
ranked AS (
    SELECT
        c.*,
        CASE
            WHEN list_contains($registered, lower(c.t.id)) THEN 1
            WHEN c.t.agent_type IS NOT NULL THEN 2
            WHEN lower(coalesce(c.t.type, '')) IN ('serviceprincipal', 'application') THEN 3
        END AS preference
    FROM candidates AS c
    WHERE c.t.id IS NOT NULL
),
grantee AS (
    SELECT
        event_id,
        arg_min(t, preference * 1000 + pos) AS target
    FROM ranked
    WHERE preference IS NOT NULL
    GROUP BY event_id
),
held AS (
    SELECT
        g.*,
        x.target,
        lower(x.target.id) AS target_id,
        list_contains($owner_pairs, lower(x.target.id) || '|' || lower(coalesce(g.initiator, '')))
            OR list_contains($owner_pairs,
                lower(x.target.id) || '|' || lower(coalesce(g.initiator_id, ''))) AS by_owner,
        regexp_matches(lower(coalesce(g.granted, '') || ' ' || lower(g.activity)),
            $privileged_pattern) AS privileged
    FROM grants AS g
    JOIN grantee AS x USING (event_id)
)
SELECT
    target_id AS identity_id,
    any_value(target.display_name) AS identity_name,
    any_value(target.agent_type) AS target_agent_type,
    any_value(lower(coalesce(target.type, ''))) AS target_type,
    count(*) AS n_grants,
    string_agg(DISTINCT activity, '; ') AS activities,
    string_agg(DISTINCT nullif(granted, ''), ', ') AS granted,
    string_agg(DISTINCT initiator, ', ') AS initiators,
    bool_and(by_owner) AS all_by_owner,
    bool_or(privileged) AS any_privileged,
    min(event_time) AS window_start,
    max(event_time) AS window_end,
    list(event_id ORDER BY event_time)[1:$max_evidence] AS evidence
FROM held
GROUP BY target_id
ORDER BY target_id
