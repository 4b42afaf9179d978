-- The outbox of end-of-scope notifications: one row per ended scope of an
-- app with a scopeEndWebhook, written when the scope ends and delivered by
-- the dispatcher of whichever instance claims it first (claimed_until is the
-- claim's lease). The unique (app, scope, cfid) makes a second report of the
-- same end (two cleaners, or an invalidated Redis scope whose index member a
-- later sweep prunes) a no-op, so each ended scope is notified once.
-- +goose Up
CREATE TABLE notifications (
    id            INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    app           VARCHAR(64)  NOT NULL,
    scope         VARCHAR(16)  NOT NULL,
    cfid          VARCHAR(64)  NOT NULL,
    reason        VARCHAR(16)  NOT NULL,
    url           TEXT         NOT NULL,
    created_at    DATETIME     NOT NULL,
    attempts      INTEGER      NOT NULL DEFAULT 0,
    next_at       DATETIME     NOT NULL,
    claimed_until DATETIME     NULL,
    delivered_at  DATETIME     NULL,
    gave_up_at    DATETIME     NULL,
    last_error    TEXT         NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX notifications_scope ON notifications (app, scope, cfid);
CREATE INDEX notifications_due ON notifications (next_at);
