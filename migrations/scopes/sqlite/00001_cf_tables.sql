-- The Lucee-compatible scope tables: a Lucee installation's tables keep
-- working, and tables created here can be read by Lucee's own statements.
-- expires holds epoch milliseconds as a 13-digit decimal string so that the
-- string comparisons Lucee and scopestore make order like numbers.
-- IF NOT EXISTS leaves a table that Lucee created in place; fixing a legacy
-- table (missing primary key or indexes) is a later, separate step.

-- +goose Up
CREATE TABLE IF NOT EXISTS cf_session_data (
    expires VARCHAR(64)  NOT NULL,
    cfid    VARCHAR(64)  NOT NULL,
    name    VARCHAR(255) NOT NULL,
    data    TEXT         NOT NULL,
    PRIMARY KEY (cfid, name)
);
CREATE INDEX IF NOT EXISTS cf_session_data_expires ON cf_session_data (expires);
-- List pages through one app's scopes in cfid order without a scan.
CREATE INDEX IF NOT EXISTS cf_session_data_name_cfid ON cf_session_data (name, cfid);

CREATE TABLE IF NOT EXISTS cf_client_data (
    expires VARCHAR(64)  NOT NULL,
    cfid    VARCHAR(64)  NOT NULL,
    name    VARCHAR(255) NOT NULL,
    data    TEXT         NOT NULL,
    PRIMARY KEY (cfid, name)
);
CREATE INDEX IF NOT EXISTS cf_client_data_expires ON cf_client_data (expires);
CREATE INDEX IF NOT EXISTS cf_client_data_name_cfid ON cf_client_data (name, cfid);
