-- solieu schema 1. Vintages are append-only: no UPDATE or DELETE of
-- `vintage` exists anywhere in the code.

CREATE TABLE area (
    key         TEXT PRIMARY KEY,
    code        TEXT NOT NULL,
    level       TEXT NOT NULL,
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    parent      TEXT,
    valid_from  TEXT,
    valid_to    TEXT
);
CREATE INDEX area_code ON area(code);

CREATE TABLE succession (
    date      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    from_key  TEXT NOT NULL REFERENCES area(key),
    to_key    TEXT NOT NULL REFERENCES area(key),
    basis     TEXT NOT NULL,
    PRIMARY KEY (from_key, to_key)
);

CREATE TABLE membership (
    region_key  TEXT NOT NULL REFERENCES area(key),
    member_key  TEXT NOT NULL REFERENCES area(key),
    valid_from  TEXT,
    valid_to    TEXT
);

CREATE TABLE indicator (
    code              TEXT PRIMARY KEY,
    name_vi           TEXT NOT NULL,
    name_en           TEXT NOT NULL,
    unit              TEXT NOT NULL,
    time_aggregation  TEXT NOT NULL,
    area_aggregation  TEXT NOT NULL,
    decimals          INTEGER NOT NULL,
    scope_note        TEXT NOT NULL DEFAULT '',
    reporting_unit    TEXT NOT NULL DEFAULT '',
    dimensions        TEXT NOT NULL DEFAULT ''
);

-- one row per indicator × area version × measure × dimension codes
CREATE TABLE series (
    id         INTEGER PRIMARY KEY,
    indicator  TEXT NOT NULL REFERENCES indicator(code),
    area_key   TEXT NOT NULL REFERENCES area(key),
    measure    TEXT NOT NULL,
    dims       TEXT NOT NULL DEFAULT '',
    UNIQUE (indicator, area_key, measure, dims)
);

CREATE TABLE import (
    id            INTEGER PRIMARY KEY,
    recorded_at   INTEGER NOT NULL,
    submitter     TEXT NOT NULL,
    origin        TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    rows          INTEGER NOT NULL,
    new_vintages  INTEGER NOT NULL
);

-- period: solieu_model::Period::key; recorded_at: µs since the epoch (UTC)
CREATE TABLE vintage (
    series_id    INTEGER NOT NULL REFERENCES series(id),
    period       INTEGER NOT NULL,
    recorded_at  INTEGER NOT NULL,
    value        REAL NOT NULL,
    status       TEXT NOT NULL,
    source       TEXT NOT NULL,
    note         TEXT NOT NULL,
    submitter    TEXT NOT NULL,
    import_id    INTEGER NOT NULL REFERENCES import(id),
    PRIMARY KEY (series_id, period, recorded_at)
) WITHOUT ROWID;

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    detail  TEXT NOT NULL
);

CREATE TRIGGER vintage_no_update BEFORE UPDATE ON vintage
BEGIN SELECT RAISE(ABORT, 'vintages are append-only'); END;
CREATE TRIGGER vintage_no_delete BEFORE DELETE ON vintage
BEGIN SELECT RAISE(ABORT, 'vintages are append-only'); END;
