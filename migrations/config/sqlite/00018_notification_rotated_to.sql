-- notifications.rotated_to is the new cfid of a session that was rotated
-- (reason 'rotated'), sent to the webhook as rotatedTo; empty for the other
-- reasons. The rotation's row is what keeps the old cfid's expiry, at the
-- end of the grace, from being notified as the session's end.
-- +goose Up
ALTER TABLE notifications ADD COLUMN rotated_to VARCHAR(64) NOT NULL DEFAULT '';
