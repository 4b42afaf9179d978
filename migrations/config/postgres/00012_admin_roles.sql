-- Console users' roles and last login: see the SQLite migration.
-- +goose Up
ALTER TABLE admin_users
    ADD COLUMN role          VARCHAR(16) NOT NULL DEFAULT 'administrator'
        CONSTRAINT admin_users_role CHECK (role IN ('administrator', 'operator')),
    ADD COLUMN last_login_at TIMESTAMPTZ NULL;
