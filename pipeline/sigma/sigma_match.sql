-- One Sigma rule's matches among the judged day's events ({day_table}, made by
-- sigma_day_<table>.sql), one row per acting identity: the events as evidence, the first and
-- last time, what they were. {where} is the rule's condition (pipeline/sigma/render.py: quoted
-- view columns, every value a bound $p parameter).
SELECT
    identity_id,
    arg_min(identity_kind, aa_event_time) AS identity_kind,
    arg_min(kind_source, aa_event_time) AS kind_source,
    arg_min(identity_name, aa_event_time) AS identity_name,
    arg_min(app_id, aa_event_time) AS app_id,
    arg_min(blueprint, aa_event_time) AS blueprint,
    arg_min(sponsor, aa_event_time) AS sponsor,
    arg_min(on_behalf_of_id, aa_event_time) FILTER (WHERE on_behalf_of_id IS NOT NULL)
        AS on_behalf_of_id,
    min(aa_event_time) AS window_start,
    max(aa_event_time) AS window_end,
    list(aa_event_id ORDER BY aa_event_time, aa_event_id) AS evidence,
    count(*) AS matched,
    list(DISTINCT aa_what ORDER BY aa_what) FILTER (WHERE aa_what IS NOT NULL) AS what
FROM {day_table}
WHERE {where}
GROUP BY identity_id
ORDER BY identity_id
