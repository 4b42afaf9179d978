-- The audit log: who changed what, when, and how. It is read newest first
-- by id.
-- +goose Up
CREATE TABLE audit_log (
    id     BIGINT       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     TIMESTAMPTZ  NOT NULL,
    actor  VARCHAR(128) NOT NULL,
    action VARCHAR(64)  NOT NULL,
    target VARCHAR(255) NOT NULL,
    detail TEXT         NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
