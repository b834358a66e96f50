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
--bun:split
CREATE TABLE IF NOT EXISTS server_api_idempotency (
    tenant_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    key          text NOT NULL,
    request_hash BLOB NOT NULL,
    status       integer NOT NULL DEFAULT 0,
    headers      text NOT NULL DEFAULT '{}',
    body         BLOB,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, key)
);
--bun:split
CREATE INDEX IF NOT EXISTS server_api_idempotency_created ON server_api_idempotency (created_at);
