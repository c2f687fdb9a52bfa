-- The judged day's sign-ins for the Sigma rules: the view columns they read ({columns}, our
-- quoted names) and the acting identity as the catalog resolved it for the day (the engine's
-- day_events: Entra's agent fields, the registry, the log category). Values bound: $day.
CREATE OR REPLACE TEMP TABLE sigma_day_signinlogs AS
WITH who AS (
    SELECT * FROM day_events WHERE table_name = 'signins'
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY event_time) = 1
)
SELECT
    v.aa_event_id,
    v.aa_event_time,
    coalesce(e.identity_id, 'unknown') AS identity_id,
    coalesce(e.identity_kind, 'unknown') AS identity_kind,
    coalesce(e.kind_source, 'none') AS kind_source,
    e.identity_name,
    e.app_id,
    e.blueprint,
    e.sponsor,
    e.on_behalf_of_id,
    concat_ws(' to ', v."AppDisplayName", v."ResourceDisplayName")
        || ' (result ' || coalesce(v."ResultType", '?') || ')' AS aa_what,
    {columns}
FROM sigma_signinlogs v
LEFT JOIN who e ON e.event_id = v.aa_event_id
WHERE v.aa_day = $day AND NOT v.aa_conflicting_duplicate
