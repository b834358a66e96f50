CREATE TABLE IF NOT EXISTS plugin_installations (
    tenant_id    TEXT NOT NULL REFERENCES kiroku_tenants (id) ON DELETE CASCADE,
    plugin       TEXT NOT NULL,
    installed_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, plugin)
) WITHOUT ROWID;
