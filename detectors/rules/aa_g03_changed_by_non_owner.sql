-- AA-G03: registered agents (or identities Entra marks as agents) created or changed on the
-- judged day by someone who is neither their owner nor their sponsor. One row per agent.
-- Parameters: $day_start, $day_end, $change_pattern, $exclude_pattern (regexes over the lower
-- case activity), $registered (lower-cased ids / app ids of registered agents), $owner_pairs,
-- $with_owner (lower-cased keys of registered agents that name an owner or sponsor),
-- $trusted (lower-cased initiator names / ids allowed to change any agent), $max_evidence.
WITH changes AS (
    SELECT
        a.event_id,
        a.event_time,
        a.activity,
        coalesce(a.initiator_name, a.initiator_id, a.initiator_app_id) AS initiator,
        a.initiator_id,
        a.initiator_app_id,
        unnest(a.targets) AS t
    FROM audits AS a
    WHERE a.date = $day
      AND NOT a.conflicting_duplicate  -- a later version of an event counts once
      AND a.event_time >= $day_start
      AND a.event_time < $day_end
      AND regexp_matches(lower(coalesce(a.activity, '')), $change_pattern)
      AND NOT regexp_matches(lower(coalesce(a.activity, '')), $exclude_pattern)
      AND lower(coalesce(a.result, 'success')) IN ('success', '')
),
on_agents AS (
    SELECT
        c.*,
        lower(c.t.id) AS target_id,
        list_contains($with_owner, lower(c.t.id)) AS owner_known,
        list_contains($owner_pairs, lower(c.t.id) || '|' || lower(coalesce(c.initiator, '')))
            OR list_contains($owner_pairs,
                lower(c.t.id) || '|' || lower(coalesce(c.initiator_id, ''))) AS by_owner,
        lower(coalesce(c.initiator_id, '')) = lower(c.t.id)
            OR lower(coalesce(c.initiator_app_id, '')) = lower(c.t.id) AS by_itself
    FROM changes AS c
    WHERE c.t.id IS NOT NULL
      AND list_contains($registered, lower(c.t.id))
      AND NOT list_contains($trusted, lower(coalesce(c.initiator, '')))
      AND NOT list_contains($trusted, lower(coalesce(c.initiator_id, '')))
      AND NOT list_contains($trusted, lower(coalesce(c.initiator_app_id, '')))
)
SELECT
    target_id AS identity_id,
    any_value(t.display_name) AS identity_name,
    any_value(t.agent_type) AS target_agent_type,
    any_value(lower(coalesce(t.type, ''))) AS target_type,
    count(*) AS n_changes,
    string_agg(DISTINCT activity, '; ' ORDER BY activity) AS activities,
    string_agg(DISTINCT initiator, ', ' ORDER BY initiator) AS initiators,
    bool_or(by_itself) AS any_by_itself,
    bool_or(regexp_matches(lower(activity), '^\s*(add|create)')) AS created,
    bool_or(regexp_matches(lower(activity), 'owner|delete|disable|remove')) AS structural,
    string_agg(DISTINCT list_aggregate(
        list_transform(coalesce(t.modified_properties, []), lambda m: m.name),
        'string_agg', ', '), ', ' ORDER BY list_aggregate(
        list_transform(coalesce(t.modified_properties, []), lambda m: m.name),
        'string_agg', ', ')) AS properties,
    min(event_time) AS window_start,
    max(event_time) AS window_end,
    list(event_id ORDER BY event_time)[1:$max_evidence] AS evidence
FROM on_agents
WHERE owner_known AND NOT by_owner
GROUP BY target_id
ORDER BY target_id
