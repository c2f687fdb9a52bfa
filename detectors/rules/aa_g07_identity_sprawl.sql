-- AA-G07 (bursts): agent identities born under one blueprint on the judged day, in the busiest
-- window of $burst_hours, against the blueprint's own history (the most it ever made in one day
-- over the $history_days before). One row per blueprint that made at least $burst_count.
-- A birth is an audit that created an agent identity (creation_channels: created_at, the
-- blueprint from its agentIdentityBlueprintId / createdByAppId property, its sign-ins' parent
-- app id, or the blueprint principal that created it), else, for identities no audit names, the
-- first day it was seen in identity_day (only once the lake has $learning_days of history, so
-- the first ingest of a tenant is not a burst).
-- Parameters: $day, $day_start, $day_end, $burst_hours, $burst_count, $history_days,
-- $learning_days, $max_evidence. The blueprint's kind, name and sponsor are looked up for the
-- rows found only (aa_g07_identity_sprawl_who.sql): most days there are none.
WITH audit_born AS (
    SELECT identity_id, blueprint, created_at AS born, creation_event_id AS event_id,
           CASE WHEN created_by_kind NOT IN ('human', 'guest') THEN created_by END AS created_by
    FROM creation_channels
    WHERE identity_kind = 'agent_identity' AND blueprint IS NOT NULL AND created_at IS NOT NULL
),
lake_start AS (
    SELECT min(day) AS first_day FROM identity_day
),
seen_born AS (
    SELECT d.identity_id, d.blueprint, d.born, CAST(NULL AS VARCHAR) AS event_id,
           CAST(NULL AS VARCHAR) AS created_by
    FROM (
        SELECT lower(identity_id) AS identity_id,
               lower(arg_max(blueprint, day) FILTER (WHERE blueprint IS NOT NULL)) AS blueprint,
               arg_max(identity_kind, day) AS kind,
               min(first_time) AS born,
               min(day) AS first_day
        FROM identity_day
        WHERE identity_id IS NOT NULL
        GROUP BY 1
    ) AS d, lake_start AS l
    WHERE d.kind = 'agent_identity' AND d.blueprint IS NOT NULL
      AND d.first_day >= l.first_day + CAST($learning_days AS INTEGER)
      AND d.identity_id NOT IN (SELECT identity_id FROM audit_born)
),
births AS (
    SELECT * FROM audit_born UNION ALL SELECT * FROM seen_born
),
today AS (
    -- a first sighting's evidence is its first event of the day
    SELECT b.identity_id, b.blueprint, b.born, coalesce(b.event_id, f.event_id) AS event_id,
           b.created_by
    FROM births AS b
    LEFT JOIN (SELECT lower(identity_id) AS identity_id, arg_min(event_id, event_time) AS event_id
               FROM day_events GROUP BY 1) AS f
      ON b.event_id IS NULL AND f.identity_id = b.identity_id
    WHERE b.born >= $day_start AND b.born < $day_end
),
windows AS (
    -- each birth opens a window of $burst_hours: how many births of its blueprint fall in it
    SELECT
        a.blueprint, a.born AS window_start,
        max(b.born) AS window_end,
        count(*) AS n,
        list(b.event_id ORDER BY b.born) FILTER (WHERE b.event_id IS NOT NULL) AS events,
        list(b.identity_id ORDER BY b.born) AS identities
    FROM today AS a
    JOIN today AS b
      ON b.blueprint = a.blueprint AND b.born >= a.born
     AND b.born < a.born + to_seconds(CAST($burst_hours * 3600 AS BIGINT))
    GROUP BY a.blueprint, a.born
),
busiest AS (
    SELECT blueprint,
        arg_max({'window_start': window_start, 'window_end': window_end,
                 'identities': identities, 'events': events}, n) AS w,
        max(n) AS n
    FROM windows
    GROUP BY blueprint
),
day_counts AS (
    SELECT blueprint, CAST(born AS DATE) AS born_day, count(*) AS n
    FROM births
    WHERE born < $day_start AND born >= $day_start - to_days(CAST($history_days AS INTEGER))
    GROUP BY 1, 2
),
history AS (
    SELECT blueprint, max(n) AS history_max, count(*) AS history_days_with_births
    FROM day_counts GROUP BY blueprint
),
totals AS (
    -- and the name its principal goes by when it created them itself
    SELECT blueprint, count(*) AS n_today,
           mode(created_by) FILTER (WHERE created_by IS NOT NULL) AS creator
    FROM today GROUP BY blueprint
)
SELECT
    coalesce(p.sp_id, b.blueprint) AS identity_id,
    t.creator AS identity_name,
    b.blueprint AS app_id,
    b.blueprint,
    b.n,
    t.n_today,
    coalesce(h.history_max, 0) AS history_max,
    coalesce(h.history_days_with_births, 0) AS history_days_with_births,
    b.w.window_start,
    b.w.window_end,
    b.w.identities[1:$max_evidence] AS identities,
    coalesce(b.w.events, [])[1:$max_evidence] AS evidence
FROM busiest AS b
JOIN totals AS t USING (blueprint)
LEFT JOIN history AS h USING (blueprint)
LEFT JOIN principal_of_app AS p ON p.app_id = b.blueprint
WHERE b.n >= $burst_count
ORDER BY b.blueprint
