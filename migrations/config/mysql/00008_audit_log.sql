-- The audit log: who changed what, when, and how. It is read newest first
-- by id. TEXT holds 65,535 bytes; the store cuts a longer detail to fit.
-- One statement per step (the index is declared inline): see 00001.
-- +goose Up
CREATE TABLE IF NOT EXISTS audit_log (
    id     BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at     DATETIME(6)  NOT NULL,
    actor  VARCHAR(128) NOT NULL,
    action VARCHAR(64)  NOT NULL,
    target VARCHAR(255) NOT NULL,
    detail TEXT         NOT NULL,
    KEY audit_log_at (at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
