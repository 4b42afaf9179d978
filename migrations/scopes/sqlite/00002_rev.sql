-- The columns by which scopestore's writes are compare-and-set and run
-- exactly once: rev, the id of a row's last write (UPDATE … WHERE rev = ?),
-- and prev_revs, the revs of the writes before it, newest first, by which a
-- write sent again is recognised. Their defaults keep Lucee's own INSERT
-- (expires, cfid, name, data) working; rows written before they existed,
-- or by Lucee, have an empty rev.

-- +goose Up
ALTER TABLE cf_session_data ADD COLUMN rev VARCHAR(32) NOT NULL DEFAULT '';
ALTER TABLE cf_session_data ADD COLUMN prev_revs VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE cf_client_data ADD COLUMN rev VARCHAR(32) NOT NULL DEFAULT '';
ALTER TABLE cf_client_data ADD COLUMN prev_revs VARCHAR(255) NOT NULL DEFAULT '';
