-- Jobs that move live scopes: see the SQLite migration.
-- +goose Up
CREATE TABLE storage_moves (
    id             VARCHAR(32)  NOT NULL PRIMARY KEY,
    title          VARCHAR(255) NOT NULL,
    back           VARCHAR(255) NOT NULL,
    parts          TEXT         NOT NULL,
    state          VARCHAR(16)  NOT NULL,
    scanned        BIGINT       NOT NULL DEFAULT 0,
    moved          BIGINT       NOT NULL DEFAULT 0,
    skipped        BIGINT       NOT NULL DEFAULT 0,
    expired        BIGINT       NOT NULL DEFAULT 0,
    failed         BIGINT       NOT NULL DEFAULT 0,
    last_error     TEXT         NOT NULL,
    started_by     VARCHAR(255) NOT NULL,
    runner         VARCHAR(64)  NOT NULL,
    run_id         VARCHAR(32)  NOT NULL,
    stop_requested BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMPTZ  NOT NULL,
    updated_at     TIMESTAMPTZ  NOT NULL,
    finished_at    TIMESTAMPTZ  NULL
);
CREATE INDEX storage_moves_created ON storage_moves (created_at);
