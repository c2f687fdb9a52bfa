-- The accountable human of each finding (DESIGN.md section 11), one row per finding of
-- _aa_accountable_in (finding_id, identity_id, identity_kind, identity_name, identity_sponsor,
-- app_id, obo_id, obo_name, evidence): the agent's sponsor, else its first human owner (the
-- stewards view: registry, audits, Defender's inventory; an identity found by its own id, else
-- by its app id's service principal), else the person whose delegated token it used (the
-- finding's on_behalf_of, else the person most of its evidence events acted for; a human's own
-- finding: that human, whose token it is), else nobody: 'unaccountable'.
-- People are named by their UPN when the rollups know it, else by their object id.
WITH f AS (
    SELECT * FROM _aa_accountable_in
),
keyed AS (
    SELECT
        f.finding_id,
        coalesce(own.identity_id, byapp.identity_id) AS steward_id,
        coalesce(own.sponsor, byapp.sponsor) AS sponsor,
        coalesce(
            list_filter(own.owner_facts, lambda o: o.owner_type <> 'service_principal')[1].owner,
            list_filter(byapp.owner_facts, lambda o: o.owner_type <> 'service_principal')[1]
                .owner) AS owner
    FROM f
    LEFT JOIN stewards AS own ON own.identity_id = lower(f.identity_id)
    LEFT JOIN principal_of_app AS p ON p.app_id = lower(f.app_id)
    LEFT JOIN stewards AS byapp ON byapp.identity_id = p.sp_id AND own.identity_id IS NULL
),
evidence_people AS (
    SELECT finding_id, arg_max(on_behalf_of_id, (n, on_behalf_of_id)) AS obo_id
    FROM (
        SELECT x.finding_id, o.on_behalf_of_id, count(*) AS n
        FROM (SELECT finding_id, unnest(evidence) AS event_id FROM f) AS x
        JOIN _aa_evidence_obo AS o ON o.event_id = x.event_id
        GROUP BY ALL
    )
    GROUP BY finding_id
),
people AS (
    SELECT identity_id, arg_max(identity_name, last_time) AS upn
    FROM identity_day
    WHERE identity_kind IN ('human', 'guest') AND identity_name IS NOT NULL
      AND identity_id IN (SELECT lower(obo_id) FROM f UNION SELECT obo_id FROM evidence_people)
    GROUP BY identity_id
),
delegating AS (
    SELECT
        f.finding_id,
        CASE
            WHEN f.obo_id IS NOT NULL THEN coalesce(f.obo_name, pf.upn, f.obo_id)
            WHEN e.obo_id IS NOT NULL THEN coalesce(pe.upn, e.obo_id)
            WHEN f.identity_kind IN ('human', 'guest') AND f.identity_id <> 'unknown'
                THEN coalesce(f.identity_name, f.identity_id)
        END AS person
    FROM f
    LEFT JOIN evidence_people AS e ON e.finding_id = f.finding_id
    LEFT JOIN people AS pf ON pf.identity_id = lower(f.obo_id)
    LEFT JOIN people AS pe ON pe.identity_id = e.obo_id
)
SELECT
    f.finding_id,
    coalesce(nullif(trim(k.sponsor), ''), nullif(trim(f.identity_sponsor), ''),
             nullif(trim(k.owner), ''), nullif(trim(d.person), ''), 'unaccountable')
        AS accountable,
    CASE
        WHEN coalesce(nullif(trim(k.sponsor), ''), nullif(trim(f.identity_sponsor), ''))
             IS NOT NULL THEN 'sponsor'
        WHEN nullif(trim(k.owner), '') IS NOT NULL THEN 'owner'
        WHEN nullif(trim(d.person), '') IS NOT NULL THEN 'delegating_user'
        ELSE 'none'
    END AS accountable_basis
FROM f
LEFT JOIN keyed AS k ON k.finding_id = f.finding_id
LEFT JOIN delegating AS d ON d.finding_id = f.finding_id
