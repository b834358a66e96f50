CREATE TABLE IF NOT EXISTS plugin_installations (
    tenant_id    uuid NOT NULL REFERENCES kiroku_tenants (id) ON DELETE CASCADE,
    plugin       text NOT NULL,
    installed_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, plugin)
);
