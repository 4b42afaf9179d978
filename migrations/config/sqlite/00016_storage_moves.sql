-- Jobs that move live scopes to their new storage after a change of
-- storage, kept here so that every instance shows them and any resumes
-- them: parts is a JSON list of the apps and kinds moved, each with its
-- counts and cursor; the totals are columns for the list of moves. runner
-- and run_id name the instance and run that write the job, updated_at is
-- their heartbeat. The claims that let one job at a time move an app's
-- scopes of one kind are 00017's.
-- +goose Up
CREATE TABLE storage_moves (
    id             VARCHAR(32)  NOT NULL PRIMARY KEY,
    title          VARCHAR(255) NOT NULL,
    back           VARCHAR(255) NOT NULL,
    parts          TEXT         NOT NULL,
    state          VARCHAR(16)  NOT NULL,
    scanned        BIGINT       NOT NULL DEFAULT 0,
    moved          BIGINT       NOT NULL DEFAULT 0,
    skipped        BIGINT       NOT NULL DEFAULT 0,
    expired        BIGINT       NOT NULL DEFAULT 0,
    failed         BIGINT       NOT NULL DEFAULT 0,
    last_error     TEXT         NOT NULL,
    started_by     VARCHAR(255) NOT NULL,
    runner         VARCHAR(64)  NOT NULL,
    run_id         VARCHAR(32)  NOT NULL,
    stop_requested BOOLEAN      NOT NULL DEFAULT 0,
    created_at     DATETIME     NOT NULL,
    updated_at     DATETIME     NOT NULL,
    finished_at    DATETIME     NULL
);
CREATE INDEX storage_moves_created ON storage_moves (created_at);
