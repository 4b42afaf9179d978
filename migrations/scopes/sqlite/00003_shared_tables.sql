-- The tables of the shared scopes: cf_application_data (one row per app,
-- cfid 'application') and cf_server_data (one row, app '_server', cfid
-- 'server'). Lucee keeps those scopes in memory only and has no tables for
-- them; these have the layout of its two, with the rev columns of 00002,
-- so that the same statements serve every kind.

-- +goose Up
CREATE TABLE IF NOT EXISTS cf_application_data (
    expires   VARCHAR(64)  NOT NULL,
    cfid      VARCHAR(64)  NOT NULL,
    name      VARCHAR(255) NOT NULL,
    data      TEXT         NOT NULL,
    rev       VARCHAR(32)  NOT NULL DEFAULT '',
    prev_revs VARCHAR(255) NOT NULL DEFAULT '',
    PRIMARY KEY (cfid, name)
);
CREATE INDEX IF NOT EXISTS cf_application_data_expires ON cf_application_data (expires);
CREATE INDEX IF NOT EXISTS cf_application_data_name_cfid ON cf_application_data (name, cfid);

CREATE TABLE IF NOT EXISTS cf_server_data (
    expires   VARCHAR(64)  NOT NULL,
    cfid      VARCHAR(64)  NOT NULL,
    name      VARCHAR(255) NOT NULL,
    data      TEXT         NOT NULL,
    rev       VARCHAR(32)  NOT NULL DEFAULT '',
    prev_revs VARCHAR(255) NOT NULL DEFAULT '',
    PRIMARY KEY (cfid, name)
);
CREATE INDEX IF NOT EXISTS cf_server_data_expires ON cf_server_data (expires);
CREATE INDEX IF NOT EXISTS cf_server_data_name_cfid ON cf_server_data (name, cfid);
