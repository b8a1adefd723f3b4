-- solieu schema 2: accounts. Passwords are stored as argon2 PHC strings,
-- API tokens as the SHA-256 of the token (the token itself is shown once).

CREATE TABLE account (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'reporter', 'viewer')),
    password_hash  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

-- a reporter writes only inside its scopes: areas (codes) and/or indicators
CREATE TABLE account_scope (
    account_id  INTEGER NOT NULL REFERENCES account(id),
    kind        TEXT NOT NULL CHECK (kind IN ('area', 'indicator')),
    code        TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, code)
);

CREATE TABLE token (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES account(id),
    sha256      TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
