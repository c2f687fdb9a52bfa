-- One day's events, materialised once for both rollups. $day: the UTC day.
CREATE OR REPLACE TEMP TABLE rollup_input AS
SELECT identity_id, day, identity_kind, kind_source, identity_name, app_id, blueprint, registered,
       sponsor, tenant_id, table_name, event_time, hour, on_behalf_of_id, resource, resource_path,
       ip_address, asn, country, user_agent, credential_key_id, succeeded, bytes, sensitivity
FROM events
WHERE day = $day AND NOT conflicting_duplicate  -- a later version of an event counts once
