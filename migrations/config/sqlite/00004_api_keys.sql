-- API keys, stored only as the SHA-256 hex of the key: a key is looked up by
-- its hash on every runtime request, hence the unique index.
-- +goose Up
CREATE TABLE api_keys (
    id         INTEGER     NOT NULL PRIMARY KEY,
    app        VARCHAR(64) NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    key_hash   CHAR(64)    NOT NULL UNIQUE,
    created_at DATETIME    NOT NULL
);
CREATE INDEX api_keys_app ON api_keys (app);
