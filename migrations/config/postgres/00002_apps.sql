-- The applications allowed to call the runtime API.
-- +goose Up
CREATE TABLE apps (
    name       VARCHAR(64) NOT NULL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);
