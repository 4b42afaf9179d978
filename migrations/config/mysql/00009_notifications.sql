-- The outbox of end-of-scope notifications: see the SQLite migration.
-- One statement per step (the indexes are declared inline): see 00001.
-- last_error has no DEFAULT, which TEXT cannot have before MySQL 8.0.13;
-- the store always writes it.
-- +goose Up
CREATE TABLE IF NOT EXISTS notifications (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    app           VARCHAR(64)  NOT NULL,
    scope         VARCHAR(16)  NOT NULL,
    cfid          VARCHAR(64)  NOT NULL,
    reason        VARCHAR(16)  NOT NULL,
    url           TEXT         NOT NULL,
    created_at    DATETIME(6)  NOT NULL,
    attempts      INT          NOT NULL DEFAULT 0,
    next_at       DATETIME(6)  NOT NULL,
    claimed_until DATETIME(6)  NULL,
    delivered_at  DATETIME(6)  NULL,
    gave_up_at    DATETIME(6)  NULL,
    last_error    TEXT         NOT NULL,
    UNIQUE KEY notifications_scope (app, scope, cfid),
    KEY notifications_due (next_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
