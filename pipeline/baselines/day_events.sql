-- The events of the judged day aa_day.
CREATE OR REPLACE TEMP VIEW day_events AS
SELECT * FROM events WHERE day = getvariable('aa_day')
    AND NOT conflicting_duplicate  -- a later version of an event (same id) counts once
