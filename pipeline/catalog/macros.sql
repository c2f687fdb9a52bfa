-- Helpers every catalog view uses. Created as TEMP macros on read-only connections.
CREATE OR REPLACE {temp} MACRO agent_kind(t) AS
    CASE lower(t)
        WHEN 'agenticappinstance' THEN 'agent_identity'
        WHEN 'agentidentity' THEN 'agent_identity'
        WHEN 'agentiduser' THEN 'agent_user'
        WHEN 'agentuser' THEN 'agent_user'
        WHEN 'agenticapp' THEN 'agent_blueprint'
        WHEN 'agenticappbuilder' THEN 'agent_blueprint'
        WHEN 'agentidentityblueprintprincipal' THEN 'agent_blueprint'
        WHEN 'agentidentityblueprint' THEN 'agent_blueprint'
    END;
CREATE OR REPLACE {temp} MACRO norm_path(p) AS
    nullif(rtrim(lower(regexp_replace(split_part(p, '?', 1), '^/(v1\.0|beta)(/|$)', '/')), '/'), '');
CREATE OR REPLACE {temp} MACRO path_tag(p) AS (
    SELECT arg_max(sp.tag, sp.priority)
    FROM sensitivity_patterns sp
    WHERE sp.kind = 'path'
      AND sp.first_segment IN (split_part(coalesce(norm_path(p), '/'), '/', 2), '*')
      AND regexp_full_match(coalesce(norm_path(p), '/'), sp.regex)
);
CREATE OR REPLACE {temp} MACRO resource_allowed(kind, regex, key, resource, resource_id, resource_path) AS
    CASE WHEN kind = 'path' THEN coalesce(regexp_full_match(coalesce(norm_path(resource_path), '/'), regex), false)
         ELSE coalesce(key = lower(trim(resource)), false) OR coalesce(key = lower(resource_id), false)
    END;
-- The audit activity that creates an application, a service principal or an agent identity.
CREATE OR REPLACE {temp} MACRO creates_principal(activity) AS
    regexp_full_match(lower(trim(coalesce(activity, ''))),
        'add (service principal|application|agent identity|agent identity blueprint'
        || '|agent identity blueprint principal|agent user|agentic application)');
-- A token id (a sign-in's uniqueTokenIdentifier, a Graph call's signInActivityId: the token's
-- uti claim, base64url) as the key that links them: trimmed, base64 padding dropped (some
-- exports keep it); null when missing or malformed, so such a row is kept but never linked.
CREATE OR REPLACE {temp} MACRO token_key(t) AS
    CASE WHEN regexp_full_match(rtrim(trim(coalesce(t, '')), '='), '[A-Za-z0-9_-]{16,64}')
         THEN rtrim(trim(t), '=') END;
-- A session id (sessionId, c_sid: a GUID) as its key: trimmed, lower case; null when missing,
-- malformed or all zeros.
CREATE OR REPLACE {temp} MACRO session_key(s) AS
    CASE WHEN regexp_full_match(lower(trim(coalesce(s, ''))), '[0-9a-z_-]{8,64}')
          AND NOT regexp_full_match(lower(trim(s)), '[0-]+')
         THEN lower(trim(s)) END;
-- An address as one client has it: an IPv4-mapped IPv6 address (::ffff:192.0.2.1) is the IPv4
-- address; lower case, no zone or port.
CREATE OR REPLACE {temp} MACRO ip_norm(ip) AS
    nullif(regexp_replace(split_part(lower(trim(coalesce(ip, ''))), '%', 1),
        '^::ffff:(\d+\.\d+\.\d+\.\d+)$', '\1'), '');
CREATE OR REPLACE {temp} MACRO ip_family(ip) AS
    CASE WHEN regexp_full_match(ip_norm(ip), '\d{1,3}(\.\d{1,3}){3}') THEN 'ipv4'
         WHEN contains(ip_norm(ip), ':') THEN 'ipv6' END;
-- The network an address sits in, coarsely (IPv4 /16, IPv6 /32): what is compared when no
-- sign-in tells the address's owner (ASN).
CREATE OR REPLACE {temp} MACRO ip_net(ip) AS
    CASE ip_family(ip)
        WHEN 'ipv4' THEN split_part(ip_norm(ip), '.', 1) || '.' || split_part(ip_norm(ip), '.', 2)
            || '.0.0/16'
        WHEN 'ipv6' THEN split_part(ip_norm(ip), ':', 1) || ':' || split_part(ip_norm(ip), ':', 2)
            || '::/32'
    END;
-- The first product of a user agent and the platform it names: 'python-requests', 'windows'.
-- Two user agents of one client (a browser and Office on one Windows laptop) name one platform.
CREATE OR REPLACE {temp} MACRO ua_client(ua) AS
    CASE
        WHEN trim(coalesce(ua, '')) = '' THEN NULL
        WHEN regexp_matches(lower(ua), 'windows') THEN 'windows'
        WHEN regexp_matches(lower(ua), 'android') THEN 'android'
        WHEN regexp_matches(lower(ua), 'iphone|ipad|ios\b') THEN 'ios'
        WHEN regexp_matches(lower(ua), 'mac os|macintosh|darwin') THEN 'macos'
        WHEN regexp_matches(lower(ua), '\bcros\b') THEN 'chromeos'  -- not micROSoft
        WHEN regexp_matches(lower(ua), 'linux|x11') THEN 'linux'
        ELSE nullif(regexp_extract(lower(trim(ua)), '^([a-z0-9._-]+)', 1), '')
    END;
