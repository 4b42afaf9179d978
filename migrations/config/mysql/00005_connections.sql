-- Named cache and datasource connections. Names are case-insensitive, so the
-- key is the lower-cased name_key while name keeps the name as given. The
-- password lives only in secret, encrypted with AES-256-GCM.
-- One statement per step: see 00001.
-- +goose Up
CREATE TABLE IF NOT EXISTS connections (
    name_key   VARCHAR(64) NOT NULL PRIMARY KEY,
    name       VARCHAR(64) NOT NULL,
    kind       VARCHAR(16) NOT NULL,
    type       VARCHAR(16) NOT NULL,
    storage    BOOLEAN     NOT NULL,
    params     TEXT        NOT NULL,
    secret     BLOB,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
