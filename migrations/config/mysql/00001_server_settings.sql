-- The server layer of scope settings: the defaults an administrator sets on
-- the admin's Scope page, one row per setting that is set.
--
-- MySQL commits DDL implicitly, so every step here is one statement, and IF
-- NOT EXISTS lets a step that committed its table but not its version row
-- (a crash in between) run again. utf8mb4_bin makes names compare byte for
-- byte, as they do on SQLite and PostgreSQL, instead of the server's
-- case- and accent-insensitive default collation.
-- +goose Up
CREATE TABLE IF NOT EXISTS server_settings (
    name   VARCHAR(64) NOT NULL PRIMARY KEY,
    value  TEXT        NOT NULL,
    set_by VARCHAR(16) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
