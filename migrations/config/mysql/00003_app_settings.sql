-- The app layer of scope settings: what an app declared or an administrator
-- set for it; set_by tells which.
-- One statement per step: see 00001.
-- +goose Up
CREATE TABLE IF NOT EXISTS app_settings (
    app    VARCHAR(64) NOT NULL,
    name   VARCHAR(64) NOT NULL,
    value  TEXT        NOT NULL,
    set_by VARCHAR(16) NOT NULL,
    PRIMARY KEY (app, name),
    CONSTRAINT fk_app_settings_app FOREIGN KEY (app) REFERENCES apps (name) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
