-- Each identity's peer group in the look-back window before aa_day (see history_identities).
CREATE OR REPLACE TEMP VIEW peer_groups AS
SELECT identity_id, peer_group FROM history_identities
