-- The applications allowed to call the runtime API.
-- One statement per step: see 00001.
-- +goose Up
CREATE TABLE IF NOT EXISTS apps (
    name       VARCHAR(64) NOT NULL PRIMARY KEY,
    created_at DATETIME(6) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
