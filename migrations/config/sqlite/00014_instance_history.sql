-- The last hour of each instance, for the Overview's charts of every
-- instance that shares the config store: one row per instance, storage and
-- finished minute (unix_minute, minutes since the Unix epoch), written by
-- the instance once the minute is over and deleted an hour later by any
-- instance. ops and errors are the minute's operations and storage failures;
-- latency is its latency histogram (JSON, the operations in each bucket by
-- index), so that the p99 of all instances comes from the merged histograms;
-- live is the live scopes the instance counted, when live_counted.
-- SQLite keeps one instance's configuration: scopestore writes no rows here
-- then, but the table is the same in every dialect.
-- +goose Up
CREATE TABLE instance_history (
    instance_id  VARCHAR(64)  NOT NULL,
    storage      VARCHAR(64)  NOT NULL,
    unix_minute  BIGINT       NOT NULL,
    ops          BIGINT       NOT NULL DEFAULT 0,
    errors       BIGINT       NOT NULL DEFAULT 0,
    latency      TEXT         NOT NULL,
    live         BIGINT       NOT NULL DEFAULT 0,
    live_counted BOOLEAN      NOT NULL DEFAULT FALSE,
    updated_at   DATETIME     NOT NULL,
    PRIMARY KEY (instance_id, storage, unix_minute)
);
CREATE INDEX instance_history_minute ON instance_history (unix_minute);
