-- Console users' roles and last login: see the SQLite migration.
-- One statement per step (every change in one ALTER TABLE): see 00001.
-- +goose Up
ALTER TABLE admin_users
    ADD COLUMN role          VARCHAR(16) NOT NULL DEFAULT 'administrator',
    ADD COLUMN last_login_at DATETIME(6) NULL,
    ADD CONSTRAINT admin_users_role CHECK (role IN ('administrator', 'operator'));
