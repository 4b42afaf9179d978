-- The last hour of each instance: see the SQLite migration.
-- +goose Up
CREATE TABLE instance_history (
    instance_id  VARCHAR(64)  NOT NULL,
    storage      VARCHAR(64)  NOT NULL,
    unix_minute  BIGINT       NOT NULL,
    ops          BIGINT       NOT NULL DEFAULT 0,
    errors       BIGINT       NOT NULL DEFAULT 0,
    latency      TEXT         NOT NULL DEFAULT '',
    live         BIGINT       NOT NULL DEFAULT 0,
    live_counted BOOLEAN      NOT NULL DEFAULT FALSE,
    updated_at   TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (instance_id, storage, unix_minute)
);
CREATE INDEX instance_history_minute ON instance_history (unix_minute);
