CREATE TABLE IF NOT EXISTS plugin_templates (
    key            text NOT NULL,
    version        integer NOT NULL CHECK (version >= 1),
    plugin         text NOT NULL,
    plugin_version text NOT NULL,
    definition     jsonb NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (key, version)
);
--bun:split
CREATE INDEX IF NOT EXISTS plugin_templates_plugin ON plugin_templates (plugin);
