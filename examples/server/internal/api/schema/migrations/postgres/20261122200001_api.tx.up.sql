CREATE TABLE IF NOT EXISTS server_api_tokens (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    user_id      uuid NOT NULL,
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz
);
--bun:split
CREATE INDEX IF NOT EXISTS server_api_tokens_user ON server_api_tokens (tenant_id, user_id);
