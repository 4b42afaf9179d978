-- The last check of each connection, so that every instance's console shows
-- it: verified_* is the last Verify (every step on a fresh connection: the
-- console's button, Verify on save, `scopestore connection verify`), health_*
-- the last health check of its open store (the Overview's ping). *_at is
-- when the check started, NULL when there was none since the connection was
-- created or last edited; *_step names the step that failed and *_message
-- says why, both empty when it passed. No password is ever written here.
-- SQLite adds one column per statement.
-- +goose Up
ALTER TABLE connections ADD COLUMN verified_at DATETIME NULL;
ALTER TABLE connections ADD COLUMN verified_ok BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE connections ADD COLUMN verified_step VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE connections ADD COLUMN verified_message VARCHAR(1000) NOT NULL DEFAULT '';
ALTER TABLE connections ADD COLUMN health_at DATETIME NULL;
ALTER TABLE connections ADD COLUMN health_ok BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE connections ADD COLUMN health_step VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE connections ADD COLUMN health_message VARCHAR(1000) NOT NULL DEFAULT '';
