CREATE TABLE IF NOT EXISTS customer_files (
    id          TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL CHECK (kind IN ('image', 'pdf', 'audio', 'video')),
    mime        text NOT NULL,
    size        INTEGER NOT NULL CHECK (size >= 0),
    width       integer NOT NULL DEFAULT 0,
    height      integer NOT NULL DEFAULT 0,
    has_thumb   INTEGER NOT NULL DEFAULT 0,
    favorite    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS customer_files_customer ON customer_files (tenant_id, customer_id, created_at, id);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS customer_files_favorite ON customer_files (tenant_id, customer_id) WHERE favorite;
