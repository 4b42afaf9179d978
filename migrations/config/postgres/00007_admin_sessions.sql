-- The admin console's login sessions, stored only as the SHA-256 hex of the
-- session id; expired sessions are swept by expires_at, hence its index.
-- +goose Up
CREATE TABLE admin_sessions (
    id_hash    CHAR(64)    NOT NULL PRIMARY KEY,
    username   VARCHAR(64) NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX admin_sessions_expires_at ON admin_sessions (expires_at);
