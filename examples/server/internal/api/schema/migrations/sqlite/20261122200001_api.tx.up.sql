CREATE TABLE IF NOT EXISTS server_api_tokens (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    name         text NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    expires_at   TEXT,
    revoked_at   TEXT
);
--bun:split
CREATE INDEX IF NOT EXISTS server_api_tokens_user ON server_api_tokens (tenant_id, user_id);
