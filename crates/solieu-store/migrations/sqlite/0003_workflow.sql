-- solieu schema 3: the reporting workflow (forms, rounds), validation rules,
-- key tasks, web sessions, publication releases, and an audit log that says
-- where a write came from and what it changed (before -> after).

ALTER TABLE audit ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN target TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN before TEXT;
ALTER TABLE audit ADD COLUMN after TEXT;
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_action ON audit (action, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- a form: the indicators a unit owes for a frequency, and when
CREATE TABLE form (
    id               INTEGER PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    frequency        TEXT NOT NULL CHECK (frequency IN ('month', 'quarter', 'half', 'year')),
    -- due on this day of the period's last month, shifted by deadline_offset months
    deadline_day     INTEGER NOT NULL CHECK (deadline_day BETWEEN 1 AND 31),
    deadline_offset  INTEGER NOT NULL CHECK (deadline_offset BETWEEN -11 AND 12),
    created_at       INTEGER NOT NULL
);
CREATE TABLE form_indicator (
    form_id    INTEGER NOT NULL REFERENCES form(id),
    indicator  TEXT NOT NULL,
    PRIMARY KEY (form_id, indicator)
);
CREATE TABLE form_unit (
    form_id  INTEGER NOT NULL REFERENCES form(id),
    unit     TEXT NOT NULL,
    PRIMARY KEY (form_id, unit)
);

-- one unit's round of one form for one period; no row = missing
CREATE TABLE round (
    form_id       INTEGER NOT NULL REFERENCES form(id),
    unit          TEXT NOT NULL,
    period        INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'locked')),
    draft         TEXT,
    comment       TEXT NOT NULL DEFAULT '',
    submitted_at  INTEGER,
    submitted_by  TEXT,
    decided_at    INTEGER,
    decided_by    TEXT,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (form_id, unit, period)
) WITHOUT ROWID;
CREATE INDEX round_status ON round (status);

CREATE TABLE rule (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    expression   TEXT NOT NULL,
    severity     TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    description  TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL
);

CREATE TABLE task (
    id             INTEGER PRIMARY KEY,
    title          TEXT NOT NULL,
    document       TEXT NOT NULL,
    document_date  TEXT,
    unit           TEXT NOT NULL,
    deadline       TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done', 'cancelled')),
    progress       INTEGER NOT NULL CHECK (progress BETWEEN 0 AND 100),
    indicators     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     INTEGER NOT NULL,
    done_at        INTEGER
);
CREATE INDEX task_unit ON task (unit, deadline);
CREATE TABLE task_note (
    id        INTEGER PRIMARY KEY,
    task_id   INTEGER NOT NULL REFERENCES task(id),
    at        INTEGER NOT NULL,
    author    TEXT NOT NULL,
    progress  INTEGER,
    note      TEXT NOT NULL
);

-- web sessions: the cookie is random, the store keeps its SHA-256
CREATE TABLE session (
    sha256      TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES account(id),
    csrf        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ended_at    INTEGER
) WITHOUT ROWID;

-- a publication: what anonymous readers see is the data as of the latest release
CREATE TABLE release (
    id    INTEGER PRIMARY KEY,
    at    INTEGER NOT NULL,
    by    TEXT NOT NULL,
    note  TEXT NOT NULL
);
