-- The new cfid of a rotated session's notification: see the SQLite migration.
-- One statement per step: see 00001.
-- +goose Up
ALTER TABLE notifications ADD COLUMN rotated_to VARCHAR(64) NOT NULL DEFAULT '';
