CREATE TABLE IF NOT EXISTS api_idempotency_keys (
    tenant_id    uuid NOT NULL,
    user_id      uuid NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status       integer NOT NULL DEFAULT 0,
    headers      text NOT NULL DEFAULT '{}',
    body         bytea,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id, key)
);
--bun:split
CREATE INDEX IF NOT EXISTS api_idempotency_keys_created ON api_idempotency_keys (created_at);
