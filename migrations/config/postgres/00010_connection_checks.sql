-- The last check of each connection: see the SQLite migration.
-- +goose Up
ALTER TABLE connections
    ADD COLUMN verified_at      TIMESTAMPTZ   NULL,
    ADD COLUMN verified_ok      BOOLEAN       NOT NULL DEFAULT FALSE,
    ADD COLUMN verified_step    VARCHAR(64)   NOT NULL DEFAULT '',
    ADD COLUMN verified_message VARCHAR(1000) NOT NULL DEFAULT '',
    ADD COLUMN health_at        TIMESTAMPTZ   NULL,
    ADD COLUMN health_ok        BOOLEAN       NOT NULL DEFAULT FALSE,
    ADD COLUMN health_step      VARCHAR(64)   NOT NULL DEFAULT '',
    ADD COLUMN health_message   VARCHAR(1000) NOT NULL DEFAULT '';
