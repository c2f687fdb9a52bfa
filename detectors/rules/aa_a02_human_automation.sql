-- AA-A02: human accounts behaving like automation on the judged day. Signals per person, over
-- their activity records (API calls): round-the-clock activity, machine-regular cadence,
-- scripted user agents, and no interactive sign-in in the last $interactive_days days.
-- One row per person with at least $min_events calls and $min_signals signals.
-- Parameters: $day_start, $day_end, $interactive_start, $human_kinds, $min_events, $min_hours,
-- $max_cv, $ua_pattern, $min_signals, $max_evidence.
WITH calls AS (
    SELECT
        *,
        epoch(event_time) - epoch(lag(event_time) OVER (
            PARTITION BY identity_id ORDER BY event_time)) AS gap
    FROM day_events
    WHERE table_name = 'activity'
      AND list_contains($human_kinds, identity_kind)
      AND identity_id IS NOT NULL
),
per_person AS (
    SELECT
        identity_id,
        any_value(identity_kind) AS identity_kind,
        any_value(identity_name) AS identity_name,
        any_value(app_id) AS app_id,
        any_value(blueprint) AS blueprint,
        any_value(sponsor) AS sponsor,
        any_value(kind_source) AS kind_source,
        count(*) AS n_events,
        count(DISTINCT hour) AS n_hours,
        stddev_pop(gap) / nullif(avg(gap), 0) AS gap_cv,
        avg(gap) AS mean_gap,
        avg(CASE WHEN regexp_matches(lower(coalesce(user_agent, '')), $ua_pattern)
                 THEN 1.0 ELSE 0.0 END) AS scripted_share,
        mode(user_agent) AS top_user_agent,
        min(event_time) AS window_start,
        max(event_time) AS window_end,
        list(event_id ORDER BY event_time)[1:$max_evidence] AS evidence
    FROM calls
    GROUP BY identity_id
    HAVING count(*) >= $min_events
),
interactive AS (
    -- straight from the sign-in table: a person's identity id is their user id (or UPN)
    SELECT DISTINCT lower(coalesce(s.user_id, s.user_principal_name)) AS identity_id
    FROM signins AS s
    WHERE s.date >= $interactive_start_day AND s.date <= $day
      AND NOT s.conflicting_duplicate  -- a later version of an event counts once
      AND s.event_time >= $interactive_start AND s.event_time < $day_end
      AND (s.is_interactive IS true OR s.log_type = 'interactive')
      AND s.succeeded IS NOT false
      AND lower(coalesce(s.user_id, s.user_principal_name))
          IN (SELECT identity_id FROM per_person)
),
names AS (
    SELECT identity_id,
           arg_max(identity_name, last_time) FILTER (WHERE identity_name IS NOT NULL) AS known
    FROM identity_day
    WHERE identity_id IN (SELECT identity_id FROM per_person WHERE identity_name IS NULL)
    GROUP BY identity_id
),
signals AS (
    SELECT
        p.* REPLACE (coalesce(p.identity_name, m.known) AS identity_name),
        p.n_hours >= $min_hours AS round_the_clock,
        coalesce(p.gap_cv <= $max_cv, false) AS machine_cadence,
        p.scripted_share >= 0.5 AS scripted,
        i.identity_id IS NULL AS no_interactive
    FROM per_person AS p
    LEFT JOIN interactive AS i USING (identity_id)
    LEFT JOIN names AS m USING (identity_id)
)
SELECT
    *,
    CAST(round_the_clock AS INTEGER) + CAST(machine_cadence AS INTEGER)
        + CAST(scripted AS INTEGER) + CAST(no_interactive AS INTEGER) AS n_signals
FROM signals
WHERE CAST(round_the_clock AS INTEGER) + CAST(machine_cadence AS INTEGER)
        + CAST(scripted AS INTEGER) + CAST(no_interactive AS INTEGER) >= $min_signals
ORDER BY identity_id
