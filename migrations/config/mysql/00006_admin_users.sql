-- The administrators of the admin console. The password is kept only as a
-- hash; names are exact, as app names are (utf8mb4_bin).
-- One statement per step: see 00001.
-- +goose Up
CREATE TABLE IF NOT EXISTS admin_users (
    name          VARCHAR(64)  NOT NULL PRIMARY KEY,
    password_hash VARCHAR(255) NOT NULL,
    created_at    DATETIME(6)  NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
