-- The last check of each connection: see the SQLite migration.
-- One statement per step (every column in one ALTER TABLE): see 00001. MySQL
-- has no ADD COLUMN IF NOT EXISTS (MariaDB has), so this step cannot be run
-- twice; the one statement either adds every column or none.
-- +goose Up
ALTER TABLE connections
    ADD COLUMN verified_at      DATETIME(6)   NULL,
    ADD COLUMN verified_ok      BOOLEAN       NOT NULL DEFAULT FALSE,
    ADD COLUMN verified_step    VARCHAR(64)   NOT NULL DEFAULT '',
    ADD COLUMN verified_message VARCHAR(1000) NOT NULL DEFAULT '',
    ADD COLUMN health_at        DATETIME(6)   NULL,
    ADD COLUMN health_ok        BOOLEAN       NOT NULL DEFAULT FALSE,
    ADD COLUMN health_step      VARCHAR(64)   NOT NULL DEFAULT '',
    ADD COLUMN health_message   VARCHAR(1000) NOT NULL DEFAULT '';
