-- Admin API tokens, for the command line's --token and scripts: stored only
-- as the SHA-256 hex of the token, looked up by it on every admin API
-- request, hence the unique index. A token goes with its user.
-- +goose Up
CREATE TABLE admin_tokens (
    id           INTEGER      NOT NULL PRIMARY KEY,
    username     VARCHAR(64)  NOT NULL REFERENCES admin_users (name) ON DELETE CASCADE,
    name         VARCHAR(100) NOT NULL,
    token_hash   CHAR(64)     NOT NULL UNIQUE,
    created_at   DATETIME     NOT NULL,
    last_used_at DATETIME     NULL,
    revoked_at   DATETIME     NULL
);
CREATE INDEX admin_tokens_username ON admin_tokens (username);
