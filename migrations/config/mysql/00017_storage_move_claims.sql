-- Claims of storage moves: see the SQLite migration.
-- One statement per step: see 00001.
-- +goose Up
CREATE TABLE IF NOT EXISTS storage_move_claims (
    app     VARCHAR(64) NOT NULL,
    kind    VARCHAR(16) NOT NULL,
    move_id VARCHAR(32) NOT NULL,
    PRIMARY KEY (app, kind),
    CONSTRAINT fk_storage_move_claims_move FOREIGN KEY (move_id) REFERENCES storage_moves (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
