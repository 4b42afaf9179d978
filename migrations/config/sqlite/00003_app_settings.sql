-- The app layer of scope settings: what an app declared or an administrator
-- set for it; set_by tells which.
-- +goose Up
CREATE TABLE app_settings (
    app    VARCHAR(64) NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    name   VARCHAR(64) NOT NULL,
    value  TEXT        NOT NULL,
    set_by VARCHAR(16) NOT NULL,
    PRIMARY KEY (app, name)
);
