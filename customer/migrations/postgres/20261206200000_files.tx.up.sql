CREATE TABLE IF NOT EXISTS customer_files (
    id          uuid NOT NULL,
    tenant_id   uuid NOT NULL,
    customer_id uuid NOT NULL,
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL CHECK (kind IN ('image', 'pdf', 'audio', 'video')),
    mime        text NOT NULL,
    size        bigint NOT NULL CHECK (size >= 0),
    width       integer NOT NULL DEFAULT 0,
    height      integer NOT NULL DEFAULT 0,
    has_thumb   boolean NOT NULL DEFAULT false,
    favorite    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    created_by  uuid NOT NULL,
    updated_at  timestamptz NOT NULL,
    updated_by  uuid NOT NULL,
    version     bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS customer_files_customer ON customer_files (tenant_id, customer_id, created_at, id);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS customer_files_favorite ON customer_files (tenant_id, customer_id) WHERE favorite;
