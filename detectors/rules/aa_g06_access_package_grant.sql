-- AA-G06: access packages granted to an agent on the judged day (the access_assignments view:
-- one row per identity x assignment, assigned_at on the day) that break its governance:
-- * outside: the registry declares access_packages for it and none matches the package's name
--   or id (globs, case-insensitive);
-- * unapproved: auto-approved, granted without any recorded approver (an automatic assignment
--   or a policy without approval), or approved (for a direct assignment: assigned) by someone
--   who is neither its registered sponsor nor an owner ($owner_pairs: '<agent key>|<person>');
-- * no_expiry: it grants a directory role or an app role / API permission and never expires.
-- One row per identity, its assignments as a list with what each broke.
-- Parameters: $day_start, $day_end, $agent_kinds, $owner_pairs, $max_evidence.
WITH judged AS (
    SELECT
        a.*,
        r.id AS registry_id,
        coalesce(r.access_packages, []) AS declared,
        list_filter(
            CASE WHEN a.request_path = 'admin_direct' AND len(a.approved_by) = 0
                 THEN [a.requested_by] ELSE a.approved_by END,
            lambda d: d IS NOT NULL) AS deciders
    FROM access_assignments AS a
    LEFT JOIN registry_keys AS k ON k.key = a.identity_id
    LEFT JOIN registry AS r ON r.id = k.agent_id
    WHERE a.identity_id IS NOT NULL
      AND a.assigned_at >= $day_start
      AND a.assigned_at < $day_end
      AND (list_contains($agent_kinds, a.identity_kind) OR r.id IS NOT NULL)
),
flagged AS (
    SELECT
        j.*,
        len(declared) > 0 AND len(list_filter(declared, lambda p:
            lower(coalesce(j.access_package, '')) GLOB lower(p)
            OR lower(coalesce(j.access_package_id, '')) GLOB lower(p))) = 0 AS outside,
        j.auto_approved OR j.request_path = 'auto' OR len(deciders) = 0 AS no_human_approval,
        list_filter(deciders, lambda d: NOT list_contains($owner_pairs,
            j.identity_id || '|' || lower(d))) AS strangers,
        j.privileged AND j.expires_at IS NULL AS no_expiry
    FROM judged AS j
),
broken AS (
    SELECT *, no_human_approval OR len(strangers) > 0 AS unapproved
    FROM flagged
    WHERE outside OR no_human_approval OR len(strangers) > 0 OR no_expiry
)
SELECT
    identity_id,
    any_value(identity_name) AS identity_name,
    any_value(identity_kind) AS assigned_kind,
    any_value(target_type) AS target_type,
    any_value(agent_type) AS target_agent_type,
    any_value(declared) AS declared,
    bool_or(registry_id IS NOT NULL) AS registered,
    count(*) AS n_assignments,
    list({
        'package': coalesce(access_package, access_package_id, '(unnamed package)'),
        'path': coalesce(request_path, 'unknown'),
        'requested_by': requested_by,
        'approvers': approved_by,
        'auto_approved': auto_approved OR request_path = 'auto',
        'policy': policy,
        'policy_requires_approval': policy_requires_approval,
        'expires_at': expires_at,
        'resources': resources,
        'privileged': privileged,
        'outside': outside,
        'no_human_approval': no_human_approval,
        'strangers': strangers,
        'no_expiry': no_expiry
    } ORDER BY assigned_at, access_package) AS assignments,
    bool_or(privileged) AS any_privileged,
    bool_or(outside) AS any_outside,
    bool_or(unapproved) AS any_unapproved,
    bool_or(no_expiry) AS any_no_expiry,
    min(assigned_at) AS window_start,
    max(assigned_at) AS window_end,
    flatten(list(event_ids ORDER BY assigned_at, access_package))[1:$max_evidence] AS evidence
FROM broken
GROUP BY identity_id
ORDER BY identity_id
