-- Console users who must choose their own password before anything else:
-- set when scopestore generated their password (a user added on the Users
-- page or with 'scopestore admin user add', a password generated for them),
-- cleared when they, or 'scopestore admin passwd', set one typed by hand.
-- The users that exist already chose theirs, or were told to: 0.
-- +goose Up
ALTER TABLE admin_users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0;
