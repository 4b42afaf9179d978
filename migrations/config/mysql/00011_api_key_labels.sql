-- Labels, last use and revocation of API keys: see the SQLite migration.
-- One statement per step (every column in one ALTER TABLE): see 00001.
-- +goose Up
ALTER TABLE api_keys
    ADD COLUMN label        VARCHAR(100) NOT NULL DEFAULT 'key 1',
    ADD COLUMN last_used_at DATETIME(6)  NULL,
    ADD COLUMN revoked_at   DATETIME(6)  NULL;
