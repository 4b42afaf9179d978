-- Admin API tokens: see the SQLite migration.
-- +goose Up
CREATE TABLE admin_tokens (
    id           BIGINT       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username     VARCHAR(64)  NOT NULL REFERENCES admin_users (name) ON DELETE CASCADE,
    name         VARCHAR(100) NOT NULL,
    token_hash   CHAR(64)     NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ  NOT NULL,
    last_used_at TIMESTAMPTZ  NULL,
    revoked_at   TIMESTAMPTZ  NULL
);
CREATE INDEX admin_tokens_username ON admin_tokens (username);
