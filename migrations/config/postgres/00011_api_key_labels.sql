-- Labels, last use and revocation of API keys: see the SQLite migration.
-- +goose Up
ALTER TABLE api_keys
    ADD COLUMN label        VARCHAR(100) NOT NULL DEFAULT 'key 1',
    ADD COLUMN last_used_at TIMESTAMPTZ  NULL,
    ADD COLUMN revoked_at   TIMESTAMPTZ  NULL;
