CREATE TABLE IF NOT EXISTS server_credentials (
    user_id       uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL,
    login         text NOT NULL UNIQUE,
    password_hash text NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL
);
--bun:split
CREATE TABLE IF NOT EXISTS server_sessions (
    token_hash   bytea PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    user_id      uuid NOT NULL,
    csrf         text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS server_sessions_user ON server_sessions (user_id);
--bun:split
CREATE TABLE IF NOT EXISTS server_single_use_tokens (
    token_hash bytea PRIMARY KEY,
    purpose    text NOT NULL,
    tenant_id  uuid NOT NULL,
    user_id    uuid NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS server_single_use_tokens_user ON server_single_use_tokens (user_id, purpose);
--bun:split
CREATE TABLE IF NOT EXISTS server_login_failures (
    key          text PRIMARY KEY,
    failures     integer NOT NULL,
    window_start timestamptz NOT NULL,
    locked_until timestamptz
);
