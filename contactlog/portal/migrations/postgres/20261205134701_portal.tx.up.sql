CREATE TABLE IF NOT EXISTS portal_terms (
    tenant_id  uuid NOT NULL,
    version    integer NOT NULL,
    body       text NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
--bun:split
CREATE TABLE IF NOT EXISTS portal_accounts (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    customer_id     uuid NOT NULL,
    email           text NOT NULL DEFAULT '',
    password_hash   text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('invited', 'active', 'locked')),
    deactivated_at  timestamptz,
    registered_at   timestamptz,
    terms_version   integer NOT NULL DEFAULT 0,
    terms_agreed_at timestamptz,
    failures        integer NOT NULL DEFAULT 0,
    last_failure_at timestamptz,
    locked_at       timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS portal_accounts_locked ON portal_accounts (tenant_id, locked_at) WHERE status = 'locked';
--bun:split
CREATE TABLE IF NOT EXISTS portal_invitations (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    account_id uuid NOT NULL,
    channel    text NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    sent_at    timestamptz,
    used_at    timestamptz,
    revoked_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES portal_accounts (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS portal_invitations_account ON portal_invitations (tenant_id, account_id, created_at);
--bun:split
CREATE TABLE IF NOT EXISTS portal_logins (
    email_hash bytea PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    account_id uuid NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS portal_logins_account ON portal_logins (account_id);
--bun:split
CREATE TABLE IF NOT EXISTS portal_tokens (
    token_hash bytea PRIMARY KEY,
    purpose    text NOT NULL,
    tenant_id  uuid NOT NULL,
    account_id uuid NOT NULL,
    object_id  uuid NOT NULL,
    expires_at timestamptz NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS portal_tokens_account ON portal_tokens (account_id, purpose);
--bun:split
CREATE TABLE IF NOT EXISTS portal_sessions (
    token_hash   bytea PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    account_id   uuid NOT NULL,
    csrf         text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS portal_sessions_account ON portal_sessions (account_id);
