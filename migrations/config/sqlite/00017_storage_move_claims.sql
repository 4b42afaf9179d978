-- storage_move_claims holds, per app and kind, the storage move (00016)
-- that moves them: its primary key is what lets one job at a time claim
-- them, on every instance.
-- +goose Up
CREATE TABLE storage_move_claims (
    app     VARCHAR(64) NOT NULL,
    kind    VARCHAR(16) NOT NULL,
    move_id VARCHAR(32) NOT NULL REFERENCES storage_moves (id) ON DELETE CASCADE,
    PRIMARY KEY (app, kind)
);
