CREATE TABLE IF NOT EXISTS server_credentials (
    user_id       TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    login         text NOT NULL UNIQUE,
    password_hash text NOT NULL DEFAULT '',
    updated_at    TEXT NOT NULL
);
--bun:split
CREATE TABLE IF NOT EXISTS server_sessions (
    token_hash   BLOB PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    csrf         text NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS server_sessions_user ON server_sessions (user_id);
--bun:split
CREATE TABLE IF NOT EXISTS server_single_use_tokens (
    token_hash BLOB PRIMARY KEY,
    purpose    text NOT NULL,
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS server_single_use_tokens_user ON server_single_use_tokens (user_id, purpose);
--bun:split
CREATE TABLE IF NOT EXISTS server_login_failures (
    key          text PRIMARY KEY,
    failures     integer NOT NULL,
    window_start TEXT NOT NULL,
    locked_until TEXT
);
