-- AA-S02: impossible travel: consecutive successful sign-ins of one identity (the later one on
-- the judged day) farther apart than $min_km at a speed above $max_kmh. Pairs between two places
-- both already in the identity's history (a known multi-site pattern) are not travel.
-- One row per identity. Parameters: $prev_start (a day before the judged day), $day_start,
-- $day_end, $min_km, $max_kmh, $max_evidence.
WITH located AS (
    SELECT
        e.identity_id, e.identity_kind, e.identity_name, e.app_id, e.blueprint, e.sponsor,
        e.kind_source, e.event_id, e.event_time, e.ip_address, e.country,
        s.city, s.latitude, s.longitude
    FROM events AS e
    JOIN signins AS s
      ON s.event_id = e.event_id
     AND s.date >= $prev_day AND s.date <= $day
     AND s.event_time >= $prev_start AND s.event_time < $day_end
     AND NOT s.conflicting_duplicate  -- a later version of an event counts once
    WHERE e.table_name = 'signins'
      AND NOT e.conflicting_duplicate
      AND e.day >= $prev_day AND e.day <= $day
      AND e.event_time >= $prev_start AND e.event_time < $day_end
      AND e.succeeded IS true
      AND e.identity_id IS NOT NULL
      AND s.latitude IS NOT NULL AND s.longitude IS NOT NULL
      AND NOT (s.latitude = 0 AND s.longitude = 0)
),
pairs AS (
    SELECT
        *,
        lag(event_id) OVER w AS prev_id,
        lag(event_time) OVER w AS prev_time,
        lag(latitude) OVER w AS prev_lat,
        lag(longitude) OVER w AS prev_lon,
        lag(ip_address) OVER w AS prev_ip,
        lag(country) OVER w AS prev_country,
        lag(city) OVER w AS prev_city
    FROM located
    WINDOW w AS (PARTITION BY identity_id ORDER BY event_time, event_id)
),
measured AS (
    SELECT
        *,
        2 * 6371.0 * asin(sqrt(
            pow(sin(radians(latitude - prev_lat) / 2), 2)
            + cos(radians(prev_lat)) * cos(radians(latitude))
              * pow(sin(radians(longitude - prev_lon) / 2), 2))) AS km,
        greatest(epoch(event_time) - epoch(prev_time), 60) / 3600.0 AS hours
    FROM pairs
    WHERE prev_id IS NOT NULL
      AND event_time >= $day_start
      AND ip_address IS DISTINCT FROM prev_ip
),
impossible AS (
    SELECT m.*, m.km / m.hours AS kmh
    FROM measured AS m
    WHERE m.km > $min_km
      AND m.km / m.hours > $max_kmh
      AND NOT (
        EXISTS (SELECT 1 FROM history_values AS h WHERE h.identity_id = m.identity_id
                AND h.dimension = 'country' AND upper(h.value) = upper(m.prev_country))
        AND EXISTS (SELECT 1 FROM history_values AS h WHERE h.identity_id = m.identity_id
                AND h.dimension = 'country' AND upper(h.value) = upper(m.country))
        AND upper(m.prev_country) <> upper(m.country))
)
SELECT
    identity_id,
    any_value(identity_kind) AS identity_kind,
    any_value(identity_name) AS identity_name,
    any_value(app_id) AS app_id,
    any_value(blueprint) AS blueprint,
    any_value(sponsor) AS sponsor,
    any_value(kind_source) AS kind_source,
    count(*) AS n_pairs,
    max(km) AS max_km,
    max(kmh) AS max_kmh,
    arg_max(coalesce(prev_city || ', ', '') || coalesce(prev_country, '?') || ' to '
        || coalesce(city || ', ', '') || coalesce(country, '?'), kmh) AS route,
    arg_max(round((epoch(event_time) - epoch(prev_time)) / 60.0), kmh) AS minutes,
    min(prev_time) AS window_start,
    max(event_time) AS window_end,
    flatten(list([prev_id, event_id] ORDER BY event_time))[1:$max_evidence]
        AS evidence
FROM impossible
GROUP BY identity_id
ORDER BY identity_id
