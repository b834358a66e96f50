CREATE TABLE IF NOT EXISTS template_definitions (
    tenant_id  TEXT NOT NULL,
    key        TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    name       TEXT NOT NULL,
    definition TEXT NOT NULL CHECK (json_valid(definition)),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key, version)
) WITHOUT ROWID;
--bun:split
CREATE TABLE IF NOT EXISTS template_heads (
    tenant_id   TEXT NOT NULL,
    key         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    archived_at TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key),
    FOREIGN KEY (tenant_id, key, version) REFERENCES template_definitions (tenant_id, key, version)
) WITHOUT ROWID;
