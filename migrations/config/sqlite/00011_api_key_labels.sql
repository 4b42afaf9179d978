-- Several API keys per app, so that a key can be replaced without downtime:
-- add the new key, deploy it, revoke the old one. label tells the keys apart
-- (the keys that exist already are each their app's only one, hence 'key 1');
-- last_used_at is the last use an instance recorded, at most once a minute
-- per key, NULL when never; revoked_at is when the key was revoked, NULL
-- while it works. A revoked key keeps its row, so that the console and
-- `scopestore app key list --all` show it; deleting the app deletes it.
-- SQLite adds one column per statement.
-- +goose Up
ALTER TABLE api_keys ADD COLUMN label VARCHAR(100) NOT NULL DEFAULT 'key 1';
ALTER TABLE api_keys ADD COLUMN last_used_at DATETIME NULL;
ALTER TABLE api_keys ADD COLUMN revoked_at DATETIME NULL;
