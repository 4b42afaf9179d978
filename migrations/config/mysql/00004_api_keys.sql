-- API keys, stored only as the SHA-256 hex of the key: a key is looked up by
-- its hash on every runtime request, hence the unique index.
-- One statement per step (the app index is declared inline): see 00001.
-- +goose Up
CREATE TABLE IF NOT EXISTS api_keys (
    id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    app        VARCHAR(64) NOT NULL,
    key_hash   CHAR(64)    NOT NULL,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY api_keys_key_hash (key_hash),
    KEY api_keys_app (app),
    CONSTRAINT fk_api_keys_app FOREIGN KEY (app) REFERENCES apps (name) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
