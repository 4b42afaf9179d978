-- Named cache and datasource connections. Names are case-insensitive, so the
-- key is the lower-cased name_key while name keeps the name as given. The
-- password lives only in secret, encrypted with AES-256-GCM.
-- +goose Up
CREATE TABLE connections (
    name_key   VARCHAR(64) NOT NULL PRIMARY KEY,
    name       VARCHAR(64) NOT NULL,
    kind       VARCHAR(16) NOT NULL,
    type       VARCHAR(16) NOT NULL,
    storage    BOOLEAN     NOT NULL,
    params     TEXT        NOT NULL,
    secret     BLOB,
    created_at DATETIME    NOT NULL,
    updated_at DATETIME    NOT NULL
);
