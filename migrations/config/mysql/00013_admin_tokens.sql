-- Admin API tokens: see the SQLite migration.
-- One statement per step (the indexes are declared inline): see 00001.
-- +goose Up
CREATE TABLE IF NOT EXISTS admin_tokens (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username     VARCHAR(64)  NOT NULL,
    name         VARCHAR(100) NOT NULL,
    token_hash   CHAR(64)     NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    last_used_at DATETIME(6)  NULL,
    revoked_at   DATETIME(6)  NULL,
    UNIQUE KEY admin_tokens_token_hash (token_hash),
    KEY admin_tokens_username (username),
    CONSTRAINT fk_admin_tokens_user FOREIGN KEY (username) REFERENCES admin_users (name) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
