CREATE TABLE IF NOT EXISTS template_definitions (
    tenant_id  uuid NOT NULL,
    key        text NOT NULL,
    version    integer NOT NULL CHECK (version >= 1),
    name       text NOT NULL,
    definition jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid NOT NULL,
    PRIMARY KEY (tenant_id, key, version)
);
--bun:split
CREATE TABLE IF NOT EXISTS template_heads (
    tenant_id   uuid NOT NULL,
    key         text NOT NULL,
    version     integer NOT NULL,
    archived_at timestamptz,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key),
    FOREIGN KEY (tenant_id, key, version) REFERENCES template_definitions (tenant_id, key, version)
);
