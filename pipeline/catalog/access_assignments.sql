-- access_assignments: one row per target identity x access package assignment (Entitlement
-- Management), current and historical, correlated from the EntitlementManagement audits.
--
-- What the view reads (a generator writing these records needs exactly this):
-- * audits whose category is 'EntitlementManagement' (or whose activity names an access
--   package). Assignment activities, matched case-insensitively:
--     request   'User requests access package assignment' (self, or on behalf when the initiator
--               is not the target), 'User requests an access package assignment on behalf of
--               service principal' (sponsor_on_behalf), 'Administrator directly assigns user to
--               access package' (admin_direct)
--     approval  'Approve access package assignment request', 'Approval stage completed for
--               access package assignment request' (the initiator is the approver),
--               'Auto approve access package assignment request' (auto_approved), 'Deny …',
--               'Access package assignment request timed out …', 'Failed access package
--               assignment request', 'Ready to fulfill access package assignment request'
--     grant     'Fulfill access package assignment request', 'Fulfill access package
--               assignment', 'Fulfill access package resource assignment'
--     later     'Extend access package assignment' (a new expiry), 'Remove access package
--               assignment', 'Remove access package resource assignment' (removed_at)
--   Package management ('Create|Update|Delete access package assignment policy', 'Update access
--   package catalog resource', 'Create|Update access package', … resource role scope) is not an
--   assignment; those events only tell which resources a package hands out. Any other activity
--   of the category is kept in the chain it belongs to and flagged as unknown.
-- * targetResources[].type: 'AccessPackage', 'AccessPackageCatalog',
--   'AccessPackageAssignmentPolicy', 'AccessPackageAssignmentRequest' (id = request id),
--   'AccessPackageAssignment' (id = assignment id), 'AccessPackageResourceRole' (or
--   'AccessPackageResource', 'AccessPackageResourceScope', 'Group', 'Role', 'DirectoryRole': a
--   resource handed out), and the identity that receives it: a target with an agentType
--   (agenticAppInstance, agentIDuser, agenticApp, agentIdentityBlueprintPrincipal) or of type
--   User, ServicePrincipal, AgentIdentity, AgentUser.
-- * modifiedProperties (by displayName, on any target) and additionalDetails (by key):
--   expiry 'ExpirationDateTime' | 'Schedule.Expiration.EndDateTime' | 'EndDateTime' |
--   'Expiration.EndDateTime' (ISO 8601 or 'M/D/YYYY h:mm:ss AM'; empty, 'null', 'never',
--   'noExpiration' or year 9999 mean no expiry; the latest event that states one wins, so an
--   extension replaces it), 'RequestType' (UserAdd → self, AdminAdd → admin_direct, SystemAdd →
--   auto, when no request activity says), on a resource role 'OriginSystem' (AadGroup → group,
--   AadApplication → app role, DirectoryRole → directory role, SharePointOnline → site) and
--   'AccessPackageResource.DisplayName' (the application or site the role belongs to), and on
--   the policy target of a policy event 'IsApprovalRequiredForAdd' ("True" / "False": the
--   latest one a policy event states is policy_requires_approval; null when none says).
-- * Events of one assignment are tied by the request id, else the assignment id (an event
--   carrying both joins them), else the correlation id of an event of the same identity that
--   carries one of them; an event with neither id (a removal
--   logged with only the package and the identity) joins the latest earlier assignment of the
--   same identity and package.
-- request_path 'auto': granted without any request (an automatic assignment policy). privileged:
-- a directory role or an app role / API permission among the resources. Bad records are kept:
-- `problems` names a missing target identity, an unknown activity, unreadable modifiedProperties
-- (not a list, or entries without a name) and an expiry that is not a date.
CREATE OR REPLACE {temp} VIEW access_assignments AS
WITH em AS (
    SELECT
        a.event_id,
        a.event_time,
        a.activity,
        lower(trim(coalesce(a.activity, ''))) AS act,
        a.correlation_id,
        a.result,
        a.initiator_kind,
        lower(coalesce(a.initiator_id, a.initiator_app_id)) AS initiator_key,
        coalesce(a.initiator_name, a.initiator_id, a.initiator_app_id) AS initiator,
        a.targets IS NULL OR len(a.targets) = 0 AS no_targets,
        coalesce(a.targets, []) AS ts,
        coalesce(a.additional_details, MAP {}) AS details,
        a.raw
    FROM audits AS a
    WHERE (lower(coalesce(a.category, '')) = 'entitlementmanagement'
           OR lower(coalesce(a.activity, '')) LIKE '%access package%')
      AND NOT a.conflicting_duplicate  -- a later version of an event counts once
),
typed AS (
    SELECT
        em.*,
        list_filter(ts, lambda t: lower(coalesce(t.type, '')) = 'accesspackage')[1] AS pkg,
        list_filter(ts, lambda t: lower(coalesce(t.type, '')) = 'accesspackagecatalog')[1] AS cat,
        list_filter(ts, lambda t: lower(coalesce(t.type, ''))
            = 'accesspackageassignmentpolicy')[1] AS pol,
        list_filter(ts, lambda t: lower(coalesce(t.type, ''))
            = 'accesspackageassignmentrequest')[1].id AS request_id,
        list_filter(ts, lambda t: lower(coalesce(t.type, ''))
            = 'accesspackageassignment')[1].id AS assignment_id,
        list_filter(ts, lambda t: t.id IS NOT NULL AND (t.agent_type IS NOT NULL
            OR lower(coalesce(t.type, '')) IN ('user', 'serviceprincipal', 'agentidentity',
                'agentuser', 'agentidentityblueprintprincipal')))[1] AS subj,
        list_transform(
            list_filter(ts, lambda t: lower(coalesce(t.type, '')) IN ('accesspackageresourcerole',
                'accesspackageresource', 'accesspackageresourcescope', 'group', 'role',
                'directoryrole')),
            lambda t: {
                'kind': CASE lower(coalesce(t.modified['OriginSystem'].new_value, ''))
                    WHEN 'aadgroup' THEN 'group'
                    WHEN 'aadapplication' THEN 'app role'
                    WHEN 'directoryrole' THEN 'directory role'
                    WHEN 'aaddirectoryrole' THEN 'directory role'
                    WHEN 'sharepointonline' THEN 'site'
                    ELSE CASE lower(t.type)
                        WHEN 'group' THEN 'group'
                        WHEN 'role' THEN 'directory role'
                        WHEN 'directoryrole' THEN 'directory role'
                        ELSE 'resource' END
                END,
                'name': coalesce(t.display_name, t.id, '?')
                    || coalesce(' on ' || t.modified['AccessPackageResource.DisplayName']
                        .new_value, '')
            }) AS res,
        flatten(list_transform(ts, lambda t: coalesce(t.modified_properties, []))) AS props
    FROM em
),
classified AS (
    SELECT
        t.*,
        CASE
            WHEN act LIKE 'administrator directly assigns%' THEN 'request'
            WHEN act LIKE 'user requests%access package assignment%' THEN 'request'
            WHEN act IN ('approve access package assignment request',
                         'approval stage completed for access package assignment request')
                THEN 'approval'
            WHEN act = 'auto approve access package assignment request' THEN 'auto_approval'
            WHEN act LIKE 'deny access package assignment request%' THEN 'denial'
            WHEN act LIKE 'access package assignment request timed out%' THEN 'denial'
            WHEN act LIKE 'failed access package assignment%' THEN 'failure'
            WHEN act LIKE 'ready to fulfill access package assignment%' THEN 'progress'
            WHEN act LIKE '%cancel%access package assignment request%' THEN 'denial'
            WHEN act IN ('fulfill access package assignment request',
                         'fulfill access package assignment') THEN 'grant'
            WHEN act = 'fulfill access package resource assignment' THEN 'resource_grant'
            WHEN act = 'extend access package assignment' THEN 'extension'
            WHEN act IN ('remove access package assignment',
                         'expire access package assignment') THEN 'removal'
            WHEN act = 'remove access package resource assignment' THEN 'resource_removal'
            WHEN regexp_matches(act, '^(create|update|delete|add|remove) access package'
                || '( assignment policy| catalog( resource)?| resource role scope|'
                || ' resource|)$') THEN 'management'
            WHEN regexp_matches(act, '^(add|remove|update) .*(to|from|in) access package'
                || '( catalog)?$') THEN 'management'
            ELSE 'unknown'
        END AS step,
        coalesce(
            list_filter(props, lambda m: lower(coalesce(m.name, '')) IN ('expirationdatetime',
                'schedule.expiration.enddatetime', 'enddatetime', 'expiration.enddatetime')
                AND m.new_value IS NOT NULL)[1].new_value,
            details['ExpirationDateTime'], details['Schedule.Expiration.EndDateTime']
        ) AS expiry_text,
        lower(list_filter(props, lambda m: lower(coalesce(m.name, '')) = 'requesttype')[1]
            .new_value) AS request_type
    FROM typed AS t
),
dated AS (
    SELECT
        c.*,
        lower(trim(coalesce(expiry_text, ''), ' "')) IN ('', 'null', 'never', 'noexpiration',
            'none') AS never_expires,
        coalesce(try_cast(trim(expiry_text, ' "') AS TIMESTAMPTZ),
            CAST(try_strptime(trim(expiry_text, ' "'), '%m/%d/%Y %I:%M:%S %p') AS TIMESTAMPTZ))
            AS expiry_parsed
    FROM classified AS c
),
events AS (
    SELECT
        d.*,
        lower(subj.id) AS subject_id,
        pkg.id AS package_id,
        CASE WHEN expiry_parsed IS NOT NULL AND year(expiry_parsed) < 9999 THEN expiry_parsed
        END AS expires,
        expiry_text IS NOT NULL AND (never_expires OR expiry_parsed IS NOT NULL) AS states_expiry,
        list_filter([
            CASE WHEN no_targets THEN 'no targetResources' END,
            CASE WHEN step = 'unknown'
                THEN 'unknown activity: ' || coalesce(activity, '(none)') END,
            CASE WHEN len(list_filter(props, lambda m: m.name IS NULL)) > 0
                  OR regexp_matches(coalesce(raw, ''),
                      'modifiedProperties\\*"\s*:\s*(\\*"|\{|[0-9tf])')
                THEN 'malformed modifiedProperties' END,
            CASE WHEN expiry_text IS NOT NULL AND NOT never_expires AND expiry_parsed IS NULL
                THEN 'unreadable expiry: ' || expiry_text END
        ], lambda p: p IS NOT NULL) AS event_problems
    FROM dated AS d
),
grants AS (SELECT * FROM events WHERE step <> 'management'),
request_of_assignment AS (
    SELECT assignment_id, min(request_id) AS request_id
    FROM grants WHERE assignment_id IS NOT NULL AND request_id IS NOT NULL
    GROUP BY assignment_id
),
-- a correlation id ties events of the same identity only (one operation may touch several)
request_of_correlation AS (
    SELECT correlation_id, subject_id, min(request_id) AS request_id
    FROM grants WHERE correlation_id IS NOT NULL AND request_id IS NOT NULL
    GROUP BY correlation_id, subject_id
),
assignment_of_correlation AS (
    SELECT correlation_id, subject_id, min(assignment_id) AS assignment_id
    FROM grants WHERE correlation_id IS NOT NULL AND assignment_id IS NOT NULL
    GROUP BY correlation_id, subject_id
),
keyed AS (
    SELECT
        g.*,
        coalesce(
            'request:' || coalesce(g.request_id, ra.request_id, rc.request_id),
            'assignment:' || coalesce(g.assignment_id, ac.assignment_id)
        ) AS anchor,
        'event:' || g.event_id AS loose
    FROM grants AS g
    LEFT JOIN request_of_assignment AS ra ON ra.assignment_id = g.assignment_id
    LEFT JOIN request_of_correlation AS rc
        ON rc.correlation_id = g.correlation_id AND rc.subject_id IS NOT DISTINCT FROM g.subject_id
    LEFT JOIN assignment_of_correlation AS ac
        ON ac.correlation_id = g.correlation_id AND ac.subject_id IS NOT DISTINCT FROM g.subject_id
),
anchors AS (
    SELECT anchor, arg_min(subject_id, event_time) AS subject_id,
           arg_min(package_id, event_time) AS package_id, min(event_time) AS first_time
    FROM keyed WHERE anchor IS NOT NULL AND subject_id IS NOT NULL AND package_id IS NOT NULL
    GROUP BY anchor
),
chained AS (
    SELECT
        k.*,
        coalesce(k.anchor, (
            SELECT arg_max(n.anchor, n.first_time) FROM anchors AS n
            WHERE n.subject_id = k.subject_id AND n.package_id = k.package_id
              AND n.first_time <= k.event_time
        ), k.loose) AS chain
    FROM keyed AS k
),
policy_approval AS (
    -- the latest IsApprovalRequiredForAdd a policy event states (on its policy target)
    SELECT pol.id AS policy_id,
        arg_max(lower(trim(list_filter(coalesce(pol.modified_properties, []),
            lambda m: lower(coalesce(m.name, '')) = 'isapprovalrequiredforadd')[1].new_value,
            ' "')), event_time) FILTER (WHERE len(list_filter(coalesce(pol.modified_properties, []),
            lambda m: lower(coalesce(m.name, '')) = 'isapprovalrequiredforadd')) > 0)
            AS required
    FROM events WHERE pol.id IS NOT NULL
    GROUP BY pol.id
),
package_resources AS (
    -- what each package hands out, as far as any of its events say
    SELECT package_id, list(DISTINCT r) AS res
    FROM (SELECT package_id, unnest(res) AS r FROM events WHERE package_id IS NOT NULL)
    GROUP BY package_id
),
assignments AS (
    SELECT
        chain,
        arg_min(subject_id, event_time) FILTER (WHERE subject_id IS NOT NULL) AS identity_id,
        arg_min(subj.display_name, event_time) FILTER (WHERE subj.display_name IS NOT NULL)
            AS identity_name,
        arg_min(subj.type, event_time) FILTER (WHERE subject_id IS NOT NULL) AS target_type,
        arg_min(subj.agent_type, event_time) FILTER (WHERE subj.agent_type IS NOT NULL)
            AS agent_type,
        arg_min(package_id, event_time) FILTER (WHERE package_id IS NOT NULL)
            AS access_package_id,
        arg_min(coalesce(pkg.display_name, pkg.id), event_time) FILTER (WHERE pkg IS NOT NULL)
            AS access_package,
        arg_min(coalesce(cat.display_name, cat.id), event_time) FILTER (WHERE cat IS NOT NULL)
            AS catalog,
        arg_min(pol.id, event_time) FILTER (WHERE pol IS NOT NULL) AS policy_id,
        arg_min(coalesce(pol.display_name, pol.id), event_time) FILTER (WHERE pol IS NOT NULL)
            AS policy,
        arg_min(request_id, event_time) FILTER (WHERE request_id IS NOT NULL) AS request_id,
        arg_min(assignment_id, event_time) FILTER (WHERE assignment_id IS NOT NULL)
            AS assignment_id,
        arg_min(act, event_time) FILTER (WHERE step = 'request') AS request_activity,
        arg_min(initiator, event_time) FILTER (WHERE step = 'request') AS requested_by,
        arg_min(initiator_key, event_time) FILTER (WHERE step = 'request') AS requester_key,
        arg_min(request_type, event_time) FILTER (WHERE request_type IS NOT NULL)
            AS request_type,
        list_sort(list_distinct(list(initiator) FILTER (WHERE step = 'approval'
            AND initiator IS NOT NULL))) AS approved_by,
        bool_or(step = 'auto_approval') AS auto_approved,
        bool_or(step = 'denial') AS denied,
        bool_or(step = 'failure' OR lower(coalesce(result, 'success')) = 'failure') AS failed,
        min(event_time) FILTER (WHERE step = 'request') AS requested_at,
        min(event_time) FILTER (WHERE step IN ('grant', 'resource_grant')) AS assigned_at,
        arg_max({'at': expires}, event_time) FILTER (WHERE states_expiry).at AS expires_at,
        bool_or(states_expiry) AS expiry_stated,
        coalesce(min(event_time) FILTER (WHERE step = 'removal'),
                 max(event_time) FILTER (WHERE step = 'resource_removal')) AS removed_at,
        list_distinct(flatten(list(res))) AS own_res,
        list(event_id ORDER BY event_time, event_id) AS event_ids,
        list_distinct(flatten(list(event_problems))) AS event_problems,
        min(event_time) AS first_event_time,
        max(event_time) AS last_event_time
    FROM chained
    GROUP BY chain
),
resolved AS (
    SELECT
        a.*,
        list_distinct(list_concat(a.own_res, coalesce(p.res, []))) AS res_all,
        CASE pa.required WHEN 'true' THEN true WHEN 'false' THEN false END
            AS policy_requires_approval,
        r.kind AS registry_kind,
        i.actor_kind AS seen_kind
    FROM assignments AS a
    LEFT JOIN package_resources AS p ON p.package_id = a.access_package_id
    LEFT JOIN policy_approval AS pa ON pa.policy_id = a.policy_id
    LEFT JOIN registry_keys AS k ON k.key = a.identity_id
    LEFT JOIN registry AS r ON r.id = k.agent_id
    LEFT JOIN identities AS i ON i.identity_id = a.identity_id
)
SELECT
    identity_id,
    identity_name,
    CASE
        WHEN lower(agent_type) = 'agenticappinstance' THEN 'agent_identity'
        WHEN lower(agent_type) = 'agentiduser' THEN 'agent_user'
        WHEN lower(agent_type) IN ('agenticapp', 'agentidentityblueprintprincipal',
                                   'agenticappbuilder') THEN 'agent_blueprint'
        WHEN registry_kind IS NOT NULL THEN registry_kind
        WHEN seen_kind IS NOT NULL AND seen_kind <> 'unknown' THEN seen_kind
        WHEN lower(target_type) = 'serviceprincipal' THEN 'service_principal'
        WHEN lower(target_type) = 'user' THEN 'human'
        WHEN lower(target_type) = 'agentidentity' THEN 'agent_identity'
        WHEN lower(target_type) = 'agentuser' THEN 'agent_user'
        WHEN lower(target_type) = 'agentidentityblueprintprincipal' THEN 'agent_blueprint'
        ELSE 'unknown'
    END AS identity_kind,
    CASE
        WHEN lower(agent_type) IN ('agenticappinstance', 'agentiduser', 'agenticapp',
            'agentidentityblueprintprincipal', 'agenticappbuilder') THEN 'entra_agent_fields'
        WHEN registry_kind IS NOT NULL THEN 'registry'
        WHEN seen_kind IS NOT NULL AND seen_kind <> 'unknown' THEN 'identities'
        WHEN target_type IS NOT NULL THEN 'log_category'
        ELSE 'none'
    END AS kind_source,
    target_type,
    agent_type,
    access_package_id,
    access_package,
    catalog,
    policy_id,
    policy,
    request_id,
    assignment_id,
    CASE
        WHEN request_activity LIKE 'administrator directly assigns%' THEN 'admin_direct'
        WHEN request_activity LIKE '%on behalf of%' THEN 'sponsor_on_behalf'
        WHEN request_activity IS NOT NULL AND requester_key IS NOT NULL
             AND requester_key = identity_id THEN 'self'
        WHEN request_activity IS NOT NULL AND requester_key IS NOT NULL THEN 'sponsor_on_behalf'
        WHEN request_type = 'adminadd' THEN 'admin_direct'
        WHEN request_type = 'useradd' THEN 'self'
        WHEN request_activity IS NOT NULL THEN 'self'
        WHEN request_type = 'systemadd' OR assigned_at IS NOT NULL THEN 'auto'
    END AS request_path,
    requested_by,
    coalesce(approved_by, []) AS approved_by,
    coalesce(auto_approved, false) AS auto_approved,
    policy_requires_approval,
    CASE
        WHEN removed_at IS NOT NULL THEN 'removed'
        WHEN assigned_at IS NOT NULL THEN 'delivered'
        WHEN denied THEN 'denied'
        WHEN failed THEN 'failed'
        WHEN requested_at IS NOT NULL THEN 'requested'
        ELSE 'unknown'
    END AS status,
    requested_at,
    assigned_at,
    expires_at,
    removed_at,
    list_sort(list_transform(res_all, lambda r: r.kind || ': ' || r.name)) AS resources,
    coalesce(len(list_filter(res_all, lambda r: r.kind IN ('directory role', 'app role'))) > 0,
             false) AS privileged,
    event_ids,
    list_concat(
        CASE WHEN identity_id IS NULL
             THEN ['no target identity (no user, service principal or agent among the targets)']
             ELSE [] END,
        list_sort(event_problems)
    ) AS problems,
    first_event_time,
    last_event_time
FROM resolved
