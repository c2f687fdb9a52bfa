-- `agentaudit identities`: the identities view, filtered. NULL parameters mean "any".
SELECT identity_id, actor_kind, kind_source, name, app_id, blueprint, sponsor, registered,
       first_seen, last_seen, days_active, events, signins, activity_events, obo_events,
       acted_for_events, audits_initiated, audits_targeted, creation_channel,
       creation_channel_evidence
FROM identities
WHERE identity_id IS NOT NULL
  AND ($kind IS NULL OR actor_kind = $kind)
  AND ($registered IS NULL OR registered = $registered)
  AND ($agents_only = false OR actor_kind IN ('agent_identity', 'agent_user', 'agent_blueprint')
       OR registered)
  AND ($search IS NULL
       OR contains(lower(identity_id), lower($search))
       OR contains(lower(coalesce(name, '')), lower($search))
       OR contains(lower(coalesce(app_id, '')), lower($search))
       OR contains(lower(coalesce(sponsor, '')), lower($search)))
ORDER BY registered DESC, actor_kind, events DESC, identity_id
