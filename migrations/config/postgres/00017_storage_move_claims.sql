-- Claims of storage moves: see the SQLite migration.
-- +goose Up
CREATE TABLE storage_move_claims (
    app     VARCHAR(64) NOT NULL,
    kind    VARCHAR(16) NOT NULL,
    move_id VARCHAR(32) NOT NULL REFERENCES storage_moves (id) ON DELETE CASCADE,
    PRIMARY KEY (app, kind)
);
