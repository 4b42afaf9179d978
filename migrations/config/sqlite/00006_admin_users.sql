-- The administrators of the admin console. The password is kept only as a
-- hash; names are exact, as app names are.
-- +goose Up
CREATE TABLE admin_users (
    name          VARCHAR(64)  NOT NULL PRIMARY KEY,
    password_hash VARCHAR(255) NOT NULL,
    created_at    DATETIME     NOT NULL
);
