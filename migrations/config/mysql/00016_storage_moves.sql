-- Jobs that move live scopes: see the SQLite migration.
-- One statement per step (the indexes are declared inline, IF NOT EXISTS
-- so that a step interrupted by MySQL's implicit commits runs again): see 00001.
-- +goose Up
CREATE TABLE IF NOT EXISTS storage_moves (
    id             VARCHAR(32)  NOT NULL PRIMARY KEY,
    title          VARCHAR(255) NOT NULL,
    back           VARCHAR(255) NOT NULL,
    parts          LONGTEXT     NOT NULL,
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
    created_at     DATETIME(6)  NOT NULL,
    updated_at     DATETIME(6)  NOT NULL,
    finished_at    DATETIME(6)  NULL,
    KEY storage_moves_created (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
