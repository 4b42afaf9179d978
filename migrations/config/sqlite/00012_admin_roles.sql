-- Several console users with roles. role is 'administrator' (everything, as
-- the one user of older versions could do: the users that exist already keep
-- it) or 'operator' (sees every page, changes nothing but its own password);
-- the code checks it too. last_login_at is when the user last logged in, NULL
-- when never. SQLite adds one column per statement.
-- +goose Up
ALTER TABLE admin_users ADD COLUMN role VARCHAR(16) NOT NULL DEFAULT 'administrator'
    CHECK (role IN ('administrator', 'operator'));
ALTER TABLE admin_users ADD COLUMN last_login_at DATETIME NULL;
