CREATE TABLE IF NOT EXISTS portal_terms (
    tenant_id  TEXT NOT NULL,
    version    INTEGER NOT NULL,
    body       text NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
--bun:split
CREATE TABLE IF NOT EXISTS portal_accounts (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    email           text NOT NULL DEFAULT '',
    password_hash   text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('invited', 'active', 'locked')),
    deactivated_at  TEXT,
    registered_at   TEXT,
    terms_version   INTEGER NOT NULL DEFAULT 0,
    terms_agreed_at TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_failure_at TEXT,
    locked_at       TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS portal_accounts_locked ON portal_accounts (tenant_id, locked_at) WHERE status = 'locked';
--bun:split
CREATE TABLE IF NOT EXISTS portal_invitations (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    account_id TEXT NOT NULL,
    channel    text NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    sent_at    TEXT,
    used_at    TEXT,
    revoked_at TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES portal_accounts (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS portal_invitations_account ON portal_invitations (tenant_id, account_id, created_at);
--bun:split
CREATE TABLE IF NOT EXISTS portal_logins (
    email_hash BLOB PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    account_id TEXT NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS portal_logins_account ON portal_logins (account_id);
--bun:split
CREATE TABLE IF NOT EXISTS portal_tokens (
    token_hash BLOB PRIMARY KEY,
    purpose    text NOT NULL,
    tenant_id  TEXT NOT NULL,
    account_id TEXT NOT NULL,
    object_id  TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS portal_tokens_account ON portal_tokens (account_id, purpose);
--bun:split
CREATE TABLE IF NOT EXISTS portal_sessions (
    token_hash   BLOB PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    csrf         text NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS portal_sessions_account ON portal_sessions (account_id);
