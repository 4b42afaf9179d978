-- The server layer of scope settings: the defaults an administrator sets on
-- the admin's Scope page, one row per setting that is set.
-- +goose Up
CREATE TABLE server_settings (
    name   VARCHAR(64) NOT NULL PRIMARY KEY,
    value  TEXT        NOT NULL,
    set_by VARCHAR(16) NOT NULL
);
