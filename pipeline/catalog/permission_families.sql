-- Which Microsoft Graph paths each permission family reaches: a granted permission counts as used
-- when its holder called one of them (agent_inventory's least-privilege list). Lower-case regexes;
-- the first matching family (lowest priority) decides. Paths are the lake's normalised ones
-- (/users/{id}/messages); /me/… paths are the delegating user's own.
CREATE OR REPLACE {temp} VIEW permission_families AS
SELECT * FROM (VALUES
    (1, '^(mail|mailboxsettings)\.', '/(messages|mailfolders|sendmail|mailboxsettings|inferenceclassification)(/|$)'),
    (2, '^files\.', '/(drive|drives|items)(/|$)|/shares/'),
    (3, '^sites\.', '^/sites(/|$)'),
    (4, '^calendars\.', '/(events|calendar|calendars|calendarview|findmeetingtimes)(/|$)'),
    (5, '^contacts\.', '/(contacts|contactfolders)(/|$)'),
    (6, '^(chat|chatmessage)\.', '/chats(/|$)'),
    (7, '^(channelmessage|channel|team|teammember)\.', '/(teams|joinedteams|channels)(/|$)'),
    (8, '^onlinemeeting', '/onlinemeetings(/|$)'),
    (9, '^notes\.', '/onenote(/|$)'),
    (10, '^tasks\.', '/(todo|planner)(/|$)'),
    (11, '^(group|groupmember)\.', '^/groups(/|$)|/memberof(/|$)'),
    (12, '^(application|approleassignment)\.', '^/(applications|serviceprincipals)(/|$)|/approleassignments'),
    (13, '^rolemanagement\.', '^/(rolemanagement|directoryroles)(/|$)'),
    (14, '^auditlog\.', '^/auditlogs(/|$)'),
    (15, '^(policy)\.', '^/(policies|identity/conditionalaccess)(/|$)'),
    (16, '^(identityriskyuser|identityriskevent|identityriskyserviceprincipal)\.', '^/identityprotection(/|$)'),
    (17, '^(securityevents|securityalert|securityincident|threathunting)\.', '^/security(/|$)'),
    (18, '^user\.', '^/(users|me)(/|$)'),
    (19, '^directory\.', '^/(users|groups|directoryobjects|devices|organization|applications|serviceprincipals|directoryroles|contacts|domains)(/|$)')
) AS t(priority, permission_regex, path_regex)
