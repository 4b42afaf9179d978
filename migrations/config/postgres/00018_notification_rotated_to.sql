-- The new cfid of a rotated session's notification: see the SQLite migration.
-- +goose Up
ALTER TABLE notifications ADD COLUMN rotated_to VARCHAR(64) NOT NULL DEFAULT '';
