-- The events of the judged day aa_day, resolved once and shared by every rule (a view would
-- re-run the identity resolution of the events view for each rule that reads it).
CREATE OR REPLACE TEMP TABLE day_events AS
SELECT * FROM events WHERE day = getvariable('aa_day')
    AND NOT conflicting_duplicate  -- a later version of an event (same id) counts once
