-- The admin console's login sessions, stored only as the SHA-256 hex of the
-- session id; expired sessions are swept by expires_at, hence its index.
-- One statement per step (the index is declared inline): see 00001.
-- +goose Up
CREATE TABLE IF NOT EXISTS admin_sessions (
    id_hash    CHAR(64)    NOT NULL PRIMARY KEY,
    username   VARCHAR(64) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    KEY admin_sessions_expires_at (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
