CREATE TABLE IF NOT EXISTS outbox_messages (
    id              uuid NOT NULL,
    tenant_id       uuid NOT NULL,
    topic           text NOT NULL CHECK (topic <> ''),
    recipient       text NOT NULL CHECK (recipient <> ''),
    idempotency_key text NOT NULL CHECK (idempotency_key <> ''),
    payload         jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz,
    last_error      text NOT NULL DEFAULT '',
    claimed_by      text,
    claimed_until   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    dead_at         timestamptz,
    CONSTRAINT outbox_messages_idempotency UNIQUE (tenant_id, topic, recipient, idempotency_key),
    PRIMARY KEY (tenant_id, id)
);
--bun:split
CREATE INDEX IF NOT EXISTS outbox_messages_pending ON outbox_messages (tenant_id, id) WHERE status = 'pending';
--bun:split
CREATE INDEX IF NOT EXISTS outbox_messages_dead ON outbox_messages (tenant_id, dead_at) WHERE status = 'dead';
