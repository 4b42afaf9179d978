-- The outbox of end-of-scope notifications: see the SQLite migration.
-- +goose Up
CREATE TABLE notifications (
    id            BIGINT       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app           VARCHAR(64)  NOT NULL,
    scope         VARCHAR(16)  NOT NULL,
    cfid          VARCHAR(64)  NOT NULL,
    reason        VARCHAR(16)  NOT NULL,
    url           TEXT         NOT NULL,
    created_at    TIMESTAMPTZ  NOT NULL,
    attempts      INTEGER      NOT NULL DEFAULT 0,
    next_at       TIMESTAMPTZ  NOT NULL,
    claimed_until TIMESTAMPTZ  NULL,
    delivered_at  TIMESTAMPTZ  NULL,
    gave_up_at    TIMESTAMPTZ  NULL,
    last_error    TEXT         NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX notifications_scope ON notifications (app, scope, cfid);
CREATE INDEX notifications_due ON notifications (next_at);
