-- The last hour of each instance: see the SQLite migration.
-- One statement per step (the index is declared inline): see 00001.
-- latency has no DEFAULT, which TEXT cannot have before MySQL 8.0.13; the
-- store always writes it.
-- +goose Up
CREATE TABLE IF NOT EXISTS instance_history (
    instance_id  VARCHAR(64)  NOT NULL,
    storage      VARCHAR(64)  NOT NULL,
    unix_minute  BIGINT       NOT NULL,
    ops          BIGINT       NOT NULL DEFAULT 0,
    errors       BIGINT       NOT NULL DEFAULT 0,
    latency      TEXT         NOT NULL,
    live         BIGINT       NOT NULL DEFAULT 0,
    live_counted BOOLEAN      NOT NULL DEFAULT FALSE,
    updated_at   DATETIME(6)  NOT NULL,
    PRIMARY KEY (instance_id, storage, unix_minute),
    KEY instance_history_minute (unix_minute)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
