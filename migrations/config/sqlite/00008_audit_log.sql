-- The audit log: who changed what, when, and how. It is read newest first
-- by id; AUTOINCREMENT keeps an id from being used twice, so that a page
-- boundary never moves.
-- +goose Up
CREATE TABLE audit_log (
    id     INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    at     DATETIME     NOT NULL,
    actor  VARCHAR(128) NOT NULL,
    action VARCHAR(64)  NOT NULL,
    target VARCHAR(255) NOT NULL,
    detail TEXT         NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
