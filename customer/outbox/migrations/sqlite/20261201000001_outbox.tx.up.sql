CREATE TABLE IF NOT EXISTS outbox_messages (
    id              TEXT NOT NULL,
    tenant_id       TEXT NOT NULL,
    topic           TEXT NOT NULL CHECK (topic <> ''),
    recipient       TEXT NOT NULL CHECK (recipient <> ''),
    idempotency_key TEXT NOT NULL CHECK (idempotency_key <> ''),
    payload         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    claimed_by      TEXT,
    claimed_until   TEXT,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    delivered_at    TEXT,
    dead_at         TEXT,
    CONSTRAINT outbox_messages_idempotency UNIQUE (tenant_id, topic, recipient, idempotency_key),
    PRIMARY KEY (tenant_id, id)
);
--bun:split
CREATE INDEX IF NOT EXISTS outbox_messages_pending ON outbox_messages (tenant_id, id) WHERE status = 'pending';
--bun:split
CREATE INDEX IF NOT EXISTS outbox_messages_dead ON outbox_messages (tenant_id, dead_at) WHERE status = 'dead';
