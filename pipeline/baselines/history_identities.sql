-- Each identity active in the look-back window before aa_day: its kind and blueprint (the latest
-- known), its active days and events, and its peer group: its blueprint, else its creation
-- channel when one is known ('channel:copilot-studio', creation_channels.sql), else its kind.
CREATE OR REPLACE TEMP TABLE history_identities AS
WITH h AS (
    SELECT
        identity_id,
        arg_max(identity_kind, day) AS identity_kind,
        arg_max(blueprint, day) AS blueprint,
        count(DISTINCT day) AS days_active,
        CAST(sum(events) AS BIGINT) AS events,
        min(day) AS first_day,
        max(day) AS last_day
    FROM history_days
    GROUP BY identity_id
),
channels AS (
    SELECT identity_id, any_value(creation_channel) AS creation_channel
    FROM creation_channels
    WHERE creation_channel <> 'unknown'
    GROUP BY identity_id
)
SELECT
    h.*,
    c.creation_channel,
    coalesce(h.blueprint, 'channel:' || c.creation_channel, h.identity_kind) AS peer_group
FROM h
LEFT JOIN channels AS c ON c.identity_id = lower(h.identity_id)
