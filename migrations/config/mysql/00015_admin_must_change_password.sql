-- Console users who must choose their own password: see the SQLite migration.
-- One statement per step: see 00001.
-- +goose Up
ALTER TABLE admin_users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
